"""The web UI's URL map (mounted at the site root)."""

from django.urls import path, register_converter

from voronka.web.views import auth, boards, conversion, edit, items, lists, recycle, search, settings
from voronka.web.views.settings import catalogue, mode, people, pipelines

app_name = "web"


class ItemKind:
    """The item kinds in URLs: only these match, so the generic patterns shadow no other app's URLs."""

    regex = "leads|deals|contacts|companies"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ItemKind, "kind")

urlpatterns = [
    path("", boards.home, name="home"),
    path("accounts/login/", auth.SignInView.as_view(), name="login"),
    path("accounts/logout/", auth.sign_out, name="logout"),
    path("language/", auth.language, name="language"),
    # Boards
    path("leads/", boards.lead_board, name="lead-board"),
    path("deals/", boards.deal_board, name="deal-board"),
    path("deals/pipeline/<int:pipeline_id>/", boards.deal_board, name="deal-board-pipeline"),
    path("<kind:kind>/board/column/<int:stage_id>/", boards.column, name="board-column"),
    path("<kind:kind>/board/quick-add/<int:stage_id>/", boards.quick_add, name="board-quick-add"),
    # Lists
    path("leads/list/", lists.item_list, {"kind": "lead"}, name="lead-list"),
    path("deals/list/", lists.item_list, {"kind": "deal"}, name="deal-list"),
    path("contacts/", lists.item_list, {"kind": "contact"}, name="contact-list"),
    path("companies/", lists.item_list, {"kind": "company"}, name="company-list"),
    path("<kind:kind>/bulk/", lists.bulk, name="bulk"),
    path("<kind:kind>/columns/", lists.choose_columns, name="columns"),
    path("search/", search.search, name="search"),
    # Create and edit
    path("<kind:kind>/new/", edit.create, name="create"),
    path("<kind:kind>/<int:item_id>/edit/", edit.update, name="edit"),
    path("duplicates/", edit.duplicates, name="duplicates"),
    path("pick/<kind:kind>/", edit.pick, name="pick"),
    # Item cards
    path("<kind:kind>/<int:item_id>/", items.card, name="card"),
    path("<kind:kind>/<int:item_id>/move/", items.move, name="move"),
    path("<kind:kind>/<int:item_id>/reopen/", items.reopen, name="reopen"),
    path("<kind:kind>/<int:item_id>/comment/", items.comment, name="comment"),
    path("<kind:kind>/<int:item_id>/products/", items.product_rows, name="products"),
    path("<kind:kind>/<int:item_id>/delete/", items.delete, name="delete"),
    path("leads/<int:item_id>/convert/", conversion.convert, name="convert"),
    # Recycle bin
    path("recycle-bin/", recycle.recycle_bin, name="recycle-bin"),
    path("recycle-bin/<int:entry_id>/restore/", recycle.restore, name="restore"),
    path("recycle-bin/<int:entry_id>/purge/", recycle.purge, name="purge"),
    # Settings (administrators)
    path("settings/", settings.index, name="settings"),
    path("settings/pipelines/", pipelines.pipelines, name="settings-pipelines"),
    path("settings/pipelines/<int:pipeline_id>/", pipelines.pipeline, name="settings-pipeline"),
    path("settings/pipelines/<int:pipeline_id>/reorder/", pipelines.reorder_stages, name="settings-reorder"),
    path("settings/stages/<int:stage_id>/", pipelines.stage, name="settings-stage"),
    path("settings/stages/<int:stage_id>/delete/", pipelines.delete_stage, name="settings-stage-delete"),
    path("settings/sources/", catalogue.sources, name="settings-sources"),
    path("settings/products/", catalogue.products, name="settings-products"),
    path("settings/fields/", catalogue.custom_fields_page, name="settings-fields"),
    path("settings/fields/<int:field_id>/delete/", catalogue.delete_field, name="settings-field-delete"),
    path("settings/users/", people.users, name="settings-users"),
    path("settings/users/<int:user_id>/", people.user, name="settings-user"),
    path("settings/departments/", people.departments, name="settings-departments"),
    path("settings/roles/", people.roles, name="settings-roles"),
    path("settings/roles/<int:role_id>/", people.role, name="settings-role"),
    path("settings/mode/", mode.mode, name="settings-mode"),
]
