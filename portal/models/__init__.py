"""The data model, one module per aggregate. Importing this package registers every table."""

from .accounts import CaptchaChallenge, Notice, PasswordResetToken
from .applications import (
    Application,
    ApplicationEvent,
    ApplicationKind,
    ApplicationMaterial,
    ContinuingEducation,
    WorkHistory,
)
from .audit import AuditLog
from .bodies import CENTRAL_BODY_CODE, Body, Employer
from .calendar import CalendarDay
from .certificates import Certificate, CertificateSequence, CertificateStatus, ElectronicCertificate
from .codes import BodyKind, Category, EmployerKind, IdType
from .content import Announcement, Document, DocumentKind
from .corrections import CorrectionStatus, IdentityCorrection
from .files import StoredFile
from .outbox import OutboxMessage, OutboxState, ReminderSent
from .people import ExamRecord, Person
from .review import ReturnChecklistItem
from .staff import Staff, StaffRole
from .workflow import OPEN_STATUSES, ApplicationStatus

__all__ = [
    "OPEN_STATUSES", "CENTRAL_BODY_CODE",
    "Announcement", "Application", "ApplicationEvent", "ApplicationKind", "ApplicationMaterial", "ApplicationStatus",
    "AuditLog",
    "Body", "BodyKind", "CalendarDay", "CaptchaChallenge", "Category", "Certificate", "CertificateSequence",
    "CertificateStatus",
    "ContinuingEducation", "CorrectionStatus", "Document", "DocumentKind", "ElectronicCertificate", "Employer",
    "EmployerKind", "ExamRecord",
    "IdType", "IdentityCorrection", "Notice", "OutboxMessage", "OutboxState", "PasswordResetToken", "Person",
    "ReminderSent", "ReturnChecklistItem", "Staff", "StaffRole", "StoredFile", "WorkHistory",
]
