from tests.automation.conftest import immediate_tasks, run_callbacks, seminar_statuses  # noqa: F401
