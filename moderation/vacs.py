"""The internal moderator's VACS checklist: is the evidence behind the tutor's decisions valid,
authentic, current and sufficient? What a real IQA expects, and what the service enforces:

- every one of the four is answered, yes or no, on every internal sample decision;
- a "no" says why (the tutor reads it with the decision);
- agreeing means all four are "yes": evidence that fails one cannot stand as assessed;
- referring back always says what the tutor must do (required actions), whatever the four
  answers: a moderator may refer a unit whose evidence is sound when the tutor's judgement or
  records are not.
"""

from dataclasses import dataclass, field

from moderation.enums import SampleOutcome, Vacs


@dataclass(frozen=True)
class VacsChecklist:
    valid: bool
    authentic: bool
    current: bool
    sufficient: bool
    notes: dict[str, str] = field(default_factory=dict)  # {"valid": "why not", ...}

    def answer(self, name: str) -> bool:
        return getattr(self, name)

    def note(self, name: str) -> str:
        return (self.notes.get(name) or "").strip()

    @property
    def failing(self) -> list[str]:
        """The labels answered "no", in checklist order."""
        return [label.lower() for name, label in Vacs.choices if not self.answer(name)]

    def problems(self, outcome: str) -> dict[str, str]:
        """What is wrong with these answers for this outcome, by form field; {} when none."""
        problems = {
            f"vacs_{name}_note": f"Say why the evidence is not {label.lower()}."
            for name, label in Vacs.choices
            if not self.answer(name) and not self.note(name)
        }
        if outcome == SampleOutcome.AGREED and self.failing:
            problems["outcome"] = (
                f"The evidence is not {' or '.join(self.failing)}: refer the unit back with the "
                "actions the tutor must take, rather than agree."
            )
        return problems

    def fields(self) -> dict:
        """The SampleDecision fields this checklist fills."""
        values = {}
        for name in Vacs.values:
            values[name] = self.answer(name)
            values[f"{name}_note"] = "" if self.answer(name) else self.note(name)
        return values


VACS_ALL_YES = VacsChecklist(valid=True, authentic=True, current=True, sufficient=True)
