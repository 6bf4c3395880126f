"""The action console (admins): find an action by intent, run it from a form built from its
input schema, read its output, and go back over earlier runs."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import retarget

from psaportal.accounts import roles
from psaportal.actions import display, forms, schema_forms, selectors, services
from psaportal.actions.models import Action, ActionRun, ActionSearch
from psaportal.connections.decorators import require_connection
from psaportal.jobs.views import job_started


def console_view(view):
    """Admins only (403 otherwise), on the ready connection: ``require_connection`` hands it
    to the view as ``connection=``."""
    return permission_required(roles.USE_CONSOLES, raise_exception=True)(require_connection(view))


@require_GET
@console_view
def console(request, connection):
    context = {"form": forms.ActionSearchForm(), "recent": selectors.search_recent()}
    return render(request, "actions/console.html", context)


@require_POST
@console_view
def search_start(request, connection):
    form = forms.ActionSearchForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            response = render(request, "actions/console.html#search-form", {"form": form})
            return retarget(response, "#search-form")
        return render(request, "actions/console.html", {"form": form})
    search = services.action_search_start(
        connection=connection, intent=form.cleaned_data["intent"], user=request.user
    )
    return job_started(
        request, job=search.job, fallback_url=reverse("actions:search", args=[search.pk])
    )


@require_GET
@console_view
def search_results(request, search_id: int, connection):
    search = get_object_or_404(ActionSearch, pk=search_id)
    context = {
        "search": search,
        "found": selectors.search_found_actions(search=search),
        "form": forms.ActionSearchForm(initial={"intent": search.intent}),
    }
    if request.htmx:
        return render(request, "actions/console.html#search-results", context)
    return render(request, "actions/console.html", context)


def _action_context(action: Action, editor: forms.InputEditor) -> dict:
    return {
        "action": action,
        "editor": editor,
        "input_rows": schema_forms.schema_rows(action.input_schema),
        "output_rows": schema_forms.schema_rows(action.output_schema),
    }


@require_GET
@console_view
def action_detail(request, action_id: int, connection):
    action = get_object_or_404(Action, pk=action_id)
    action_input = None
    if request.GET.get("from_run", "").isdigit():
        run = ActionRun.objects.filter(pk=request.GET["from_run"], action=action).first()
        action_input = run.input if run is not None else None
    editor = forms.input_editor(
        action.input_schema, action_input=action_input, mode=request.GET.get("mode", "")
    )
    context = _action_context(action, editor) | {
        "runs": selectors.action_run_history(action=action)[:10]
    }
    return render(request, "actions/action.html", context)


@require_POST
@console_view
def action_run(request, action_id: int, connection):
    """Edit the input (add/remove items, switch modes) or, when it is valid, run the action."""
    action = get_object_or_404(Action, pk=action_id)
    editor = forms.input_editor(action.input_schema, data=request.POST)
    context = _action_context(action, editor)
    if editor.action_input is None:
        template = "actions/action.html#run-form" if request.htmx else "actions/action.html"
        return render(request, template, context)
    run = services.action_run_start(
        action=action,
        connection=connection,
        action_input=editor.action_input,
        user=request.user,
    )
    if request.htmx:
        # The form stays as typed; the run's progress and output appear below it.
        return render(request, "actions/action.html#run-started", context | {"run": run})
    return job_started(
        request, job=run.job, fallback_url=reverse("actions:run-detail", args=[run.pk])
    )


def _run_context(run: ActionRun) -> dict:
    limit = settings.CONSOLE_DISPLAY_LIMIT_BYTES
    too_large = (run.output_size or 0) > limit
    context = {"run": run, "too_large": too_large, "limit_label": services.size_label(limit)}
    if run.status == ActionRun.Status.SUCCEEDED and not too_large:
        context |= {
            "table": display.record_table(run.output, action_key=run.action_key),
            "record_url": display.record_link(run.output, action_key=run.action_key),
            "tree": display.json_tree(run.output),
            "output_text": display.pretty_json(run.output),
            "size_label": services.size_label(run.output_size),
        }
    return context


@require_GET
@console_view
def run_output(request, run_id: int, connection):
    """A run's output: the fragment a finished job loads in place."""
    run = get_object_or_404(ActionRun, pk=run_id)
    return render(request, "actions/run.html#run-output", _run_context(run))


@require_GET
@console_view
def run_detail(request, run_id: int, connection):
    run = get_object_or_404(ActionRun.objects.select_related("action", "started_by"), pk=run_id)
    context = _run_context(run) | {
        "input_text": display.pretty_json(run.input),
        "input_tree": display.json_tree(run.input),
        "input_download": reverse("actions:run-download", args=[run.pk, "input"]),
    }
    return render(request, "actions/run.html", context)


@require_GET
@console_view
def run_download(request, run_id: int, part: str, connection):
    """A run's input or output as a JSON file."""
    if part not in ("input", "output"):
        raise Http404("Only a run's input or output can be downloaded.")
    run = get_object_or_404(ActionRun, pk=run_id)
    value = run.input if part == "input" else run.output
    response = HttpResponse(display.pretty_json(value), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="action-run-{run.pk}-{part}.json"'
    return response


@require_GET
@console_view
def run_list(request, connection):
    return render(request, "actions/runs.html", {"runs": selectors.action_run_history()})


@require_POST
@console_view
def run_again(request, run_id: int, connection):
    """Run the same action again with the same input."""
    run = get_object_or_404(ActionRun.objects.select_related("action"), pk=run_id)
    if run.action is None:
        return redirect("actions:run-detail", run_id=run.pk)
    again = services.action_run_start(
        action=run.action,
        connection=connection,
        action_input=run.input,
        user=request.user,
    )
    return job_started(
        request, job=again.job, fallback_url=reverse("actions:run-detail", args=[again.pk])
    )
