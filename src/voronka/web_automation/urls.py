"""Automation pages, under /automation/ (the settings board, the editors, an item's log and simulation)."""

from django.urls import path

from voronka.web_automation import views

app_name = "web_automation"
urlpatterns = [
    path("", views.index, name="index"),
    path("pipelines/<int:pipeline_id>/", views.board, name="board"),
    path("stages/<int:stage_id>/robots/new/", views.robot_editor, name="robot_new"),
    path("robots/<int:robot_id>/", views.robot_editor, name="robot"),
    path("robots/<int:robot_id>/delete/", views.robot_delete, name="robot_delete"),
    path("robots/<int:robot_id>/move/<str:direction>/", views.robot_move, name="robot_move"),
    path("stages/<int:stage_id>/triggers/new/", views.trigger_editor, name="trigger_new"),
    path("triggers/<int:trigger_id>/", views.trigger_editor, name="trigger"),
    path("triggers/<int:trigger_id>/delete/", views.trigger_delete, name="trigger_delete"),
    path("items/<str:kind>/<int:item_id>/", views.item_log, name="item"),
    path("items/<str:kind>/<int:item_id>/simulate/", views.item_simulate, name="simulate"),
]
