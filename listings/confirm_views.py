"""The page a "Still accepting?" link opens: no sign-in, the signed link is the key."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from . import confirmations
from .confirm_forms import AnswerForm
from .confirmations import Answer, LinkProblem


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def confirm_availability(request: HttpRequest, answer: str, token: str) -> HttpResponse:
    """GET shows the answer and a button, changing nothing (mail scanners open links); POST records it."""
    try:
        question = confirmations.open_question(answer, token)
        form = AnswerForm(answer, request.POST if request.method == "POST" else None)
        if form.is_valid():
            provider = confirmations.record_answer(question, answer, form.cleaned_data.get("weeks"))
            context = {"provider": provider, "confirm_days": settings.AVAILABILITY_CONFIRM_DAYS}
            return render(request, "listings/confirm_done.html", context)
    except LinkProblem as problem:
        return render(request, "listings/confirm_link_problem.html", {"problem": problem}, status=problem.status)
    context = {"provider": question.account.provider, "answer": Answer(answer), "form": form, "token": token,
               "other_answers": [other for other in Answer if other != answer]}
    return render(request, "listings/confirm_availability.html", context, status=400 if form.is_bound else 200)
