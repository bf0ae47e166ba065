"""The composition root: settings in, every adapter wired, nothing framework-specific."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from approval.access.service import FailedAuthentications, KeyCache
from approval.applications.lifecycle import Decided, Lifecycle
from approval.bundles.parts import follow_registration
from approval.calendar import WorkingCalendar
from approval.catalog.items import Catalog, load_catalog
from approval.catalog.scope import ScopeCatalog
from approval.clock import Clock, clock_for
from approval.database import Database
from approval.decisions.determination import RulesInForce, ScheduledRules
from approval.decisions.facts import ReferenceData
from approval.decisions.registries import Registries
from approval.engine.ruleset import Ruleset
from approval.filings.follow import file_registrations
from approval.intake.service import Intake
from approval.licences.serials import CreditSerials
from approval.licences.service import LicenceIssuer
from approval.name_checks.service import NameDesk
from approval.names.follow import follow_licences as keep_name_register
from approval.objections.bans import with_local_bans
from approval.rules import service as rules_service
from approval.rules.shadow import ShadowQueue
from approval.settings import Settings
from approval.signing import LicenceSigner
from approval.supervision.follow import follow_licences as push_to_supervisors
from approval.verification.connections import build_registries
from connectors.base import RegistrationFilingClient
from connectors.registries import MARKET


@dataclass
class AppContext:
    settings: Settings
    db: Database
    clock: Clock
    ruleset: Ruleset
    reference: ReferenceData
    registries: Registries
    signer: LicenceSigner
    keys: KeyCache
    serials: CreditSerials
    catalog: Catalog
    calendar: WorkingCalendar
    # the status transitions of applications and the features that follow them
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    # one issuance path for submission, the verification worker and staff review
    issuer: LicenceIssuer = field(init=False)
    # what receiving an application consults (approval.intake.service.submit)
    intake: Intake = field(init=False)
    # decisions for the shadow candidate (approval.rules.live evaluates them off the request)
    shadow: ShadowQueue = field(default_factory=ShadowQueue)
    # where registrations are filed (the market registry's client); None: it takes no filings
    filer: RegistrationFilingClient | None = None
    # a version approved to take effect later (approval.rules.live compiles it ahead)
    upcoming: ScheduledRules | None = None

    def __post_init__(self) -> None:
        self.issuer = LicenceIssuer(self.serials, self.signer)
        self.intake = Intake(
            db=self.db,
            clock=self.clock,
            settings=self.settings,
            registries=self.registries,
            rules_in_force=self.rules_in_force,
            issuer=self.issuer,
            catalog=self.catalog,
            calendar=self.calendar,
            lifecycle=self.lifecycle,
        )

    def rules_in_force(self) -> RulesInForce:
        """The ruleset in force and its reference data (approval.rules.live swaps them). A
        scheduled version decides from its moment on, in every process, before any poll."""
        upcoming = self.upcoming
        if upcoming is not None and self.clock.now() >= upcoming.effective_from:
            return upcoming.rules
        return RulesInForce(self.ruleset, self.reference)

    @property
    def name_desk(self) -> NameDesk:
        """What checking and reserving names consults (built on use: it follows the clock)."""
        return NameDesk(self.db, self.clock, self.settings, self.registries, self.rules_in_force)

    @property
    def scope_catalog(self) -> ScopeCatalog:
        """The scope catalogue published with the active ruleset (the public catalogue lists it)."""
        return self.reference.scope

    def close(self) -> None:
        self.ruleset.close()
        self.db.dispose()


def load_reference_data(settings: Settings) -> ReferenceData:
    return rules_service.reference_of(settings.rules_dir)


def rules_at_start(settings: Settings, db: Database) -> RulesInForce:
    """The version in force in the database: a broken rules folder does not stop a restart.
    The folder is read only before the first start has stored a version."""
    try:
        with db.reading() as conn:
            files = rules_service.in_force_files(conn)
    except SQLAlchemyError:  # no schema yet: the first start migrates, then stores the folder
        files = None
    if files is not None:
        return rules_service.load_files(files)
    return RulesInForce(Ruleset.load(settings.rules_dir), load_reference_data(settings))


def build_context(settings: Settings, registries: Registries | None = None) -> AppContext:
    """Load rules and reference data (refusing any malformed file) and wire the adapters."""
    if registries is None:
        # per registry: the in-process stub, or the HTTP client when its URL is set
        registries = build_registries(settings)
    if settings.signing_key_pem is not None:
        signer = LicenceSigner.from_pem(settings.signing_key_pem.get_secret_value().encode())
    else:
        signer = LicenceSigner.load_or_create(settings.signing_key_path)
    db = Database(settings.database_url)
    catalog = load_catalog(settings.rules_dir / "catalog")
    calendar = WorkingCalendar.load(settings.rules_dir / "calendar" / "holidays.yaml")
    lifecycle = Lifecycle()
    lifecycle.subscribe(Decided, follow_registration(catalog, calendar))
    push_to_supervisors(lifecycle)
    keep_name_register(lifecycle)
    # every issue, revocation and restoration is filed to the market registry (outbox)
    file_registrations(lifecycle)
    shadow = ShadowQueue()
    lifecycle.subscribe(Decided, shadow.on_decided)
    market = registries.client(MARKET)
    filer = market if isinstance(market, RegistrationFilingClient) else None
    # the Miaopi-side false-registration bans (revocations) join the market answer (R10)
    registries = with_local_bans(registries, db)
    in_force = rules_at_start(settings, db)
    return AppContext(
        settings=settings,
        db=db,
        clock=clock_for(settings.fixed_today),
        ruleset=in_force.ruleset,
        reference=in_force.reference,
        registries=registries,
        signer=signer,
        keys=KeyCache(
            failures=FailedAuthentications(
                settings.auth_failure_limit, settings.auth_failure_window_seconds
            )
        ),
        serials=CreditSerials(db.transaction),
        catalog=catalog,
        calendar=calendar,
        lifecycle=lifecycle,
        shadow=shadow,
        filer=filer,
    )
