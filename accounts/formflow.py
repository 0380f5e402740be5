"""How a page runs a change: a valid form's data goes to one service; a refusal comes back
onto the form, so the person sees it where they typed. Every app's views use these."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect


def errors_to_form(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def form_status(form) -> int:
    """400 for a form sent back with errors (tests and scripts can tell), else 200."""
    return 400 if form is not None and form.is_bound and form.errors else 200


def posted(request, form) -> bool:
    return request.method == "POST" and form is not None and form.is_valid()


def apply(request, form, change, *, done, then, stale: type[Exception] | None = None):
    """Run `change` (a service call). On success, say `done(result)` and redirect to `then`
    (a URL, or a function of the result). A `stale` refusal (someone else changed the record
    meanwhile) goes back to the page with a warning; any other refusal lands on the form and
    None is returned, so the view shows the form again."""
    try:
        result = change()
    except ValidationError as exc:
        if stale is not None and isinstance(exc, stale):
            messages.warning(request, " ".join(exc.messages))
            return redirect(request.path)
        errors_to_form(form, exc)
        return None
    messages.success(request, done(result))
    return redirect(then(result) if callable(then) else then)
