from tests.automation import conftest as automation

immediate_tasks = automation.immediate_tasks
run_callbacks = automation.run_callbacks
seminar_statuses = automation.seminar_statuses
