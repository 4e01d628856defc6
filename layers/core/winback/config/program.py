"""The win-back program: program.yaml's top level (brand, links, locale, time zone, inbox) and one
field per key, each validated by its own module of this package.

A business changes its program by publishing a version of it with its templates (`winback program
publish`; until the first publish the functions run the `program.yaml` shipped with the layer), or,
in development, by pointing WINBACK_PROGRAM_PATH at its own file; `winback.config.loader` validates it
at load, templates included, so a mistake fails loudly instead of messaging customers wrongly."""

from __future__ import annotations

from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, PrivateAttr, field_validator, model_validator

from winback.config.admission import Admission
from winback.config.campaigns import Campaign, ChannelName
from winback.config.dormancy import Dormancy, Signal
from winback.config.experiments import Experiments
from winback.config.guards import CapScope, Feedback, FrequencyCap, QuietHours, Sunset, check_frequency_caps
from winback.config.pacing import Pacing
from winback.config.preferences import PreferencesConfig, check_fewer
from winback.config.reasons import ReasonsConfig
from winback.config.scan import ScanLimits
from winback.config.segments import RecommendationsConfig, SegmentsConfig
from winback.config.test_recipients import RecipientAddress
from winback.models.strict import Strict


class InboxConfig(Strict):
    ttl_days: int = Field(30, ge=1, le=365)


class Program(Strict):
    brand: str = Field(min_length=1)
    site_url: str = Field(pattern=r"^https?://[^\s]+$", description="where calls to action lead")
    item_url: str = Field("", description="a recommended item's page, with {item_id}; default: <site_url>p/{item_id}")
    default_locale: str = Field("en", description="one of the locale folders under content/templates/_layout/")
    dormancy: Dormancy
    default_time_zone: str = "UTC"
    # Per channel, and `all` over every channel (config/guards.py).
    frequency_caps: dict[CapScope, FrequencyCap]
    # Per channel, in the user's own time zone; a message due inside the window waits for its end.
    quiet_hours: dict[ChannelName, QuietHours] = Field(default_factory=dict)
    campaigns: tuple[Campaign, ...] = Field(min_length=1)
    scan: ScanLimits = ScanLimits()
    feedback: Feedback = Feedback()
    experiments: Experiments = Experiments()
    sunset: Sunset = Sunset()
    segments: SegmentsConfig = SegmentsConfig()
    recommendations: RecommendationsConfig = RecommendationsConfig()
    reasons: ReasonsConfig = ReasonsConfig()
    inbox: InboxConfig = InboxConfig()
    pacing: Pacing = Pacing()
    admission: Admission = Admission()
    unsubscribe_token_days: int = Field(365, ge=1)
    # Where `winback test-send` may send (config/test_recipients.py); the functions never read it.
    test_recipients: tuple[RecipientAddress, ...] = ()
    preferences: PreferencesConfig = PreferencesConfig()
    # The program version (config/bundle.py: the hash of program.yaml and its templates), set by the
    # loader; empty for a program validated from data alone.
    _version: str = PrivateAttr("")

    @property
    def version(self) -> str:
        return self._version

    def stamped(self, version: str) -> Program:
        """This program, marked as `version` (by the loader, which knows what it was loaded from)."""
        self._version = version
        return self

    @field_validator("frequency_caps")
    @classmethod
    def _caps(cls, caps: dict[CapScope, FrequencyCap]) -> dict[CapScope, FrequencyCap]:
        check_frequency_caps(caps)
        return caps

    @model_validator(mode="after")
    def _fewer_is_fewer(self) -> Program:
        check_fewer(self.preferences.fewer, self.frequency_caps)
        return self

    @field_validator("default_time_zone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)  # an unknown zone fails the load, not a send at 3 a.m.
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
            raise ValueError(f"unknown IANA time zone {name!r}") from exc
        return name

    @model_validator(mode="after")
    def _references(self) -> Program:
        tier_names = self.dormancy.tier_names()
        ids = [c.id for c in self.campaigns]
        if len(set(ids)) != len(ids):
            raise ValueError("campaign ids must be unique")
        for campaign in self.campaigns:
            unknown = set(campaign.tiers) - tier_names
            if unknown:
                raise ValueError(f"campaign {campaign.id} targets unknown tiers {sorted(unknown)}")
            groups = {g.name for g in self.segments.rfm_groups}
            unknown = set(campaign.segments or ()) - groups
            if unknown:
                raise ValueError(f"campaign {campaign.id} targets unknown segments {sorted(unknown)}")
        return self

    def item_link(self, item_id: str) -> str:
        template = self.item_url or self.site_url.rstrip("/") + "/p/{item_id}"
        return template.replace("{item_id}", quote(item_id, safe=""))

    def holdout_percent(self, campaign: Campaign) -> float:
        return self.experiments.holdout_percent if campaign.holdout_percent is None else campaign.holdout_percent

    def reactivation_signal(self) -> Signal:
        signal = self.experiments.reactivation_signal
        return self.dormancy.signal if signal == "dormancy" else signal

    def campaign(self, campaign_id: str) -> Campaign:
        for campaign in self.campaigns:
            if campaign.id == campaign_id:
                return campaign
        raise KeyError(campaign_id)
