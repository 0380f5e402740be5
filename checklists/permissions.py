"""Who may print what. Blank forms are the catalogue's; filled ones follow the portfolio."""

from accounts.permissions import can_browse_catalogue, can_manage_centre


def can_print_blank(user) -> bool:
    """A blank form shows only the awarding body's criteria, like the catalogue does."""
    return can_browse_catalogue(user)


def can_print_cohort(user, centre) -> bool:
    """Every learner's checklist at once is for the centre's admins (files and audits)."""
    return can_manage_centre(user, centre)
