from django.db import models


class AuditAction(models.TextChoices):
    """Every kind of change the record keeps an entry of, whichever app makes it."""

    # people and roles
    PERSON_ADDED = "person_added", "Person added"
    PERSON_CHANGED = "person_changed", "Person's details changed"
    PERSON_INVITED = "person_invited", "Person invited to the centre"
    INVITATION_ACCEPTED = "invitation_accepted", "Invitation accepted"
    ROLE_GIVEN = "role_given", "Role given"
    ROLE_TAKEN = "role_taken", "Role taken away"
    PERSON_DEACTIVATED = "person_deactivated", "Person deactivated"
    # second factor
    TWO_FACTOR_ENROLLED = "two_factor_enrolled", "Second factor set up"
    TWO_FACTOR_REMOVED = "two_factor_removed", "Second factor removed"
    RECOVERY_CODES_REGENERATED = "recovery_codes_new", "New recovery codes made"
    CENTRE_TWO_FACTOR = "centre_two_factor", "Centre's second-factor rule changed"
    # the API's personal access tokens
    TOKEN_CREATED = "token_created", "API token made"
    TOKEN_REVOKED = "token_revoked", "API token revoked"
    # the catalogue
    SPEC_IMPORTED = "spec_imported", "Specification imported"
    CATALOGUE_CHANGED = "catalogue_changed", "Catalogue changed"
    # enrolments
    ENROLMENT_CREATED = "enrolment_created", "Learner enrolled"
    ENROLMENT_CHANGED = "enrolment_changed", "Enrolment changed"
    UNIT_ADDED = "unit_added", "Unit added to an enrolment"
    UNIT_WITHDRAWN = "unit_withdrawn", "Unit withdrawn from an enrolment"
    UNIT_RESTORED = "unit_restored", "Unit restored to an enrolment"
    UNIT_REMOVED = "unit_removed", "Unit that held no work taken off an enrolment"
    VERSION_MOVED = "version_moved", "Learner moved to another version of the qualification"
    UNIT_VERSION_MOVED = "unit_version_moved", "Unit moved to another version"
    DECISION_CARRIED = "decision_carried", "Decision carried to the new version"
    CRITERION_FLAGGED = "criterion_flagged", "Criterion changed: decide again"
    CRITERION_MOVED = "criterion_moved", "Criterion's evidence moved to the new version"
    INTAKE = "intake", "Class list imported"
    PORTFOLIO_EXPORTED = "portfolio_exported", "Portfolio exported as a package"
    PORTFOLIO_IMPORTED = "portfolio_imported", "Portfolio imported from another centre"
    RECORD_IMPORTED = "record_imported", "Record arrived with an imported portfolio"
    # evidence
    EVIDENCE_CREATED = "evidence_created", "Evidence added"
    EVIDENCE_CHANGED = "evidence_changed", "Draft evidence changed"
    EVIDENCE_FILE_ADDED = "evidence_file_added", "File added to evidence"
    EVIDENCE_FILE_REMOVED = "evidence_file_removed", "File removed from draft evidence"
    EVIDENCE_MAPPED = "evidence_mapped", "Evidence mapped to criteria"
    EVIDENCE_SUBMITTED = "evidence_submitted", "Evidence submitted with the declaration"
    EVIDENCE_CORRECTED = "evidence_corrected", "Correction of submitted evidence started"
    EVIDENCE_DELETED = "evidence_deleted", "Draft evidence deleted"
    # evidence methods as records
    OBSERVATION_SIGNED = "observation_signed", "Observation recorded and signed"
    DISCUSSION_RECORDED = "discussion_recorded", "Professional discussion recorded"
    WITNESS_REQUESTED = "witness_requested", "Witness testimony requested"
    WITNESS_TESTIMONY = "witness_testimony", "Witness testimony given"
    WORKPLACE_VERIFIED = "workplace_verified", "Workplace evidence seen and verified"
    # assessment
    DECISION = "decision", "Criterion decided"
    CRITERIA_ADDED = "criteria_added", "Tutor mapped evidence to more criteria"
    SIGN_OFF = "sign_off", "Unit signed off"
    ACKNOWLEDGEMENT = "acknowledgement", "Learner acknowledged a sign-off"
    # moderation
    SAMPLE = "sample", "Sample opened"
    SAMPLE_DECISION = "sample_decision", "Sample decided"
    REFERRAL = "referral", "Referred back"
    UNIT_REOPENED = "unit_reopened", "Unit's work reopened by a referral"
    REOPENING_CLOSED = "reopening_closed", "Referral closed"
    PLAN_SAVED = "plan_saved", "Sampling plan saved"
    GRANT = "grant", "External moderator granted access"
    GRANT_REVOKED = "grant_revoked", "External moderator's access ended early"
