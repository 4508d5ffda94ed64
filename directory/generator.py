"""Realistic, clearly fictional providers for demos and load tests: the same seed always gives the same providers.

Every listing says it is fictional; phone numbers are in the 555-0100 to 555-0199 range reserved for fiction,
emails and websites are on example.org, license numbers start with DEMO-. Offices sit at the centres of real,
active ZIP codes, spread over the states roughly by population.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import zipcodes

from .models import Modality, unique_slug
from .taxonomy import snapshot
from .wording import join_words
from .writing import LicenseRecord, OfficeRecord, ProviderRecord

# 2020 census populations, in hundreds of thousands.
STATE_WEIGHTS: dict[str, int] = {
    "CA": 395, "TX": 291, "FL": 215, "NY": 202, "PA": 130, "IL": 128, "OH": 118, "GA": 107, "NC": 104,
    "MI": 101, "NJ": 93, "VA": 86, "WA": 77, "AZ": 72, "MA": 70, "TN": 69, "IN": 68, "MD": 62, "MO": 62,
    "WI": 59, "CO": 58, "MN": 57, "SC": 51, "AL": 50, "LA": 47, "KY": 45, "OR": 42, "OK": 40, "CT": 36,
    "UT": 33, "IA": 32, "NV": 31, "AR": 30, "MS": 30, "KS": 29, "NM": 21, "NE": 20, "ID": 18, "WV": 18,
    "HI": 15, "NH": 14, "ME": 14, "RI": 11, "MT": 11, "DE": 10, "SD": 9, "ND": 8, "AK": 7, "DC": 7,
    "VT": 6, "WY": 6,
}
STATES = sorted(STATE_WEIGHTS)

# Per hundred providers. Codes the taxonomy adds later get a small share.
CREDENTIAL_WEIGHTS = {"MD": 8, "DO": 3, "PMHNP": 8, "PHD": 9, "PSYD": 6, "LCSW": 24, "LPC": 18, "LMFT": 13,
                      "LMHC": 11}
PSYCHOLOGISTS = {"PHD", "PSYD"}
PRESCRIBER_ONLY_CATEGORIES = {Modality.Category.MEDICAL, Modality.Category.BRAIN_STIMULATION}
PRESCRIBER_MODALITIES = {"medication-management": 0.9, "pharmacogenetic-testing": 0.15, "tms": 0.12,
                         "ketamine-assisted-therapy": 0.08, "ect": 0.04}
PSYCHOTHERAPY_WEIGHTS = {"cbt": 30, "act": 12, "dbt": 10, "psychodynamic": 10, "ipt": 7, "mbct": 7,
                         "behavioral-activation": 6, "emdr": 10, "exposure-therapy": 6, "sfbt": 6,
                         "motivational-interviewing": 8}
CONDITION_WEIGHTS = {"depression": 30, "anxiety": 30, "stress": 14, "trauma": 12, "ptsd": 10, "grief": 8,
                     "relationship-issues": 10, "panic-disorder": 7, "social-anxiety": 7, "ocd": 5, "phobias": 4,
                     "substance-use": 6, "eating-disorders": 4, "borderline-personality-disorder": 3,
                     "bipolar-disorder": 4, "suicidal-thoughts": 4, "schizophrenia": 1,
                     "treatment-resistant-depression": 1}
PRESCRIBER_CONDITION_WEIGHTS = {**CONDITION_WEIGHTS, "bipolar-disorder": 18, "schizophrenia": 8,
                                "treatment-resistant-depression": 14, "treatment-resistant-anxiety": 6}
LANGUAGE_WEIGHTS = {"es": 40, "zh": 6, "vi": 5, "fr": 5, "tl": 4, "ko": 4, "ar": 4, "ru": 4, "pt": 4,
                    "ht": 3, "de": 3, "hi": 3}
INSURANCE_WEIGHTS = {"medicare": 12, "medicaid": 12, "aetna": 14, "bluecross-blueshield": 14, "cigna": 12,
                     "unitedhealthcare": 12, "optum": 8, "anthem": 8, "humana": 5, "tricare": 5, "magellan": 4,
                     "kaiser-permanente": 3, "oscar": 3}

FIRST_NAMES = {
    "woman": ["Ana", "Beatriz", "Chloe", "Dalia", "Esperanza", "Farah", "Grace", "Hana", "Imani", "Josefina",
              "Keiko", "Leila", "Mei", "Nadia", "Olivia", "Priya", "Rosa", "Sofia", "Thandi", "Uma", "Valentina",
              "Wren", "Ximena", "Yara", "Zainab", "Amara", "Brigid", "Camila", "Noor", "Ingrid"],
    "man": ["Aaron", "Bashir", "Carlos", "Dmitri", "Elijah", "Felipe", "Gabriel", "Hiro", "Ibrahim", "Jamal",
            "Kofi", "Luis", "Marcus", "Nikhil", "Omar", "Pedro", "Rafael", "Samuel", "Tariq", "Umar", "Victor",
            "Wei", "Xavier", "Yusuf", "Zane", "Anders", "Bao", "Declan", "Emeka", "Mateo"],
    "non-binary": ["Alex", "Avery", "Jordan", "Kai", "Quinn", "Remy", "River", "Rowan", "Sage", "Skyler"],
}
PRONOUNS = {"woman": "she/her", "man": "he/him", "non-binary": "they/them"}
GENDER_WEIGHTS = {"woman": 60, "man": 36, "non-binary": 4}
# Surnames built from two parts sound plausible while being plainly invented.
SURNAME_STARTS = ["Ash", "Birch", "Bright", "Cedar", "Clear", "Elder", "Fern", "Glen", "Hazel", "Lark", "Linden",
                  "Maple", "Moss", "Oak", "Pine", "Rain", "Reed", "Rowan", "Sage", "Stone", "Thistle", "Willow",
                  "Winter", "Wren"]
SURNAME_ENDS = ["brook", "dale", "field", "ford", "grove", "haven", "hollow", "lake", "mere", "more", "ridge",
                "shaw", "vale", "well", "wick", "wood"]
STREETS = ["Maple", "Cedar", "Lakeview", "Park", "Hillcrest", "Sunset", "Willow", "Meadow", "Chestnut",
           "Riverside", "Orchard", "Garden", "Spring", "Juniper", "Magnolia"]
STREET_KINDS = ["Street", "Avenue", "Road", "Boulevard", "Lane", "Drive", "Way"]
PRACTICE_KINDS = ["Counseling", "Therapy Collective", "Counseling Center", "Wellness Group"]


# Standard ZIPs on military bases: not where a private practice would be.
MILITARY_PLACE = re.compile(r"\b(AFB|Air Force|Naval|NAS|Army|Marine Corps|Fort \w+ Military)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Place:
    zip_code: str
    city: str
    state: str
    latitude: float
    longitude: float
    area_code: str


@lru_cache(maxsize=1)
def places_by_state() -> dict[str, list[Place]]:
    """Active standard ZIP codes of each state, in ZIP order (PO boxes and military ZIPs have no street offices)."""
    places: dict[str, list[Place]] = {state: [] for state in STATES}
    for entry in zipcodes.list_all():
        if (entry["state"] in places and entry["active"] and entry["zip_code_type"] == "STANDARD"
                and not MILITARY_PLACE.search(entry["city"])):
            codes = sorted(entry.get("area_codes") or [])
            places[entry["state"]].append(Place(entry["zip_code"], entry["city"], entry["state"],
                                                float(entry["lat"]), float(entry["long"]),
                                                codes[0] if codes else "555"))
    return {state: sorted(found, key=lambda place: place.zip_code) for state, found in places.items()}


@dataclass
class Taxonomy:
    """The taxonomy values a generator draws from: the taxonomy snapshot, each part in key order (the draws
    depend on that order, never on the display positions staff edit)."""

    modalities: dict[str, str]  # slug: category
    modality_names: dict[str, str]
    conditions: dict[str, str]  # slug: name
    credentials: dict[str, bool]  # code: can prescribe
    formats: list[str]
    age_groups: list[str]
    languages: list[str]
    insurance: list[str]

    @classmethod
    def load(cls) -> Taxonomy:
        taxonomy = snapshot()

        def keyed(param: str) -> list:
            return sorted(taxonomy.of(param), key=lambda term: term.key)

        modalities = keyed("modality")
        return cls(
            modalities={m.slug: m.category for m in modalities},
            modality_names={m.slug: m.name for m in modalities},
            conditions={c.slug: c.name for c in keyed("condition")},
            credentials={c.code: c.can_prescribe for c in keyed("credential")},
            formats=[term.key for term in keyed("format")],
            age_groups=[term.key for term in keyed("age_group")],
            languages=[term.key for term in keyed("language")],
            insurance=[term.key for term in keyed("insurance")],
        )

    def is_empty(self) -> bool:
        return not (self.modalities and self.conditions and self.credentials)


class Weights:
    """Keys drawn by weight; the cumulative weights are computed once, as the generator draws millions of times."""

    def __init__(self, weights: dict[str, float]):
        self.keys = list(weights)
        self.cumulative = list(itertools.accumulate(weights.values()))
        self.total = self.cumulative[-1] + 0.0 if self.cumulative else 0.0

    def __bool__(self) -> bool:
        return bool(self.keys)

    def pick(self, rng: random.Random) -> str:
        # rng.choices(self.keys, cum_weights=self.cumulative)[0], draw for draw, without its checks per call.
        return self.keys[bisect.bisect(self.cumulative, rng.random() * self.total, 0, len(self.keys) - 1)]

    def sample(self, rng: random.Random, count: int) -> list[str]:
        """count distinct keys (or all of them, when there are fewer)."""
        count = min(count, len(self.keys))
        chosen: list[str] = []
        while len(chosen) < count:
            key = self.pick(rng)
            if key not in chosen:
                chosen.append(key)
        return chosen


GENDERS = Weights(GENDER_WEIGHTS)
STATE_DRAW = Weights(STATE_WEIGHTS)


def _weights_for(keys: list[str], known: dict[str, float], default: float = 2) -> Weights:
    """Weights for the taxonomy's keys: the known ones as given, values staff added later a small default."""
    return Weights({key: known.get(key, default) for key in keys})


def _money(amount: int) -> Decimal:
    return Decimal(amount).quantize(Decimal("0.01"))


def _in_sentence(name: str) -> str:
    """A display name as it reads mid-sentence: "Panic disorder" -> "panic disorder", "OCD" unchanged."""
    return name if name[:2].isupper() else name[:1].lower() + name[1:]


class Generator:
    def __init__(self, taxonomy: Taxonomy, seed: int, today: datetime.date):
        self.taxonomy = taxonomy
        self.rng = random.Random(seed)
        self.seed = seed
        self.today = today
        self.revised = 0  # records stream() gave again, revised (see there)
        codes = list(taxonomy.credentials)
        self.credential_weights = _weights_for(codes, CREDENTIAL_WEIGHTS)
        self.psychotherapies = _weights_for(
            [slug for slug, category in taxonomy.modalities.items() if category == Modality.Category.PSYCHOTHERAPY],
            PSYCHOTHERAPY_WEIGHTS,
        )
        self.complementary = [slug for slug, category in taxonomy.modalities.items()
                              if category == Modality.Category.COMPLEMENTARY]
        self.prescriber_only = [slug for slug, category in taxonomy.modalities.items()
                                if category in PRESCRIBER_ONLY_CATEGORIES]
        self.conditions = _weights_for(list(taxonomy.conditions), CONDITION_WEIGHTS)
        self.prescriber_conditions = _weights_for(list(taxonomy.conditions), PRESCRIBER_CONDITION_WEIGHTS)
        self.other_languages = _weights_for([code for code in taxonomy.languages if code != "en"], LANGUAGE_WEIGHTS,
                                            default=1)
        self.insurance = _weights_for(taxonomy.insurance, INSURANCE_WEIGHTS)

    def days_ago(self, low: int, high: int) -> datetime.date:
        return self.today - datetime.timedelta(days=self.rng.randint(low, high))

    def accepting_confirmed(self) -> datetime.date | None:
        """Most listings confirmed their availability within the last month; some long ago, some never."""
        draw = self.rng.random()
        if draw < 0.7:
            return self.days_ago(0, 30)
        return self.days_ago(31, 150) if draw < 0.85 else None

    def availability(self) -> dict[str, object]:
        """Accepting (some with a next opening a few weeks out), or not, some of those with a waitlist; and
        hours, mostly weekday daytime, some evenings and weekends."""
        rng = self.rng
        accepting = rng.random() < 0.72
        next_opening = self.today + datetime.timedelta(days=rng.randint(3, 40)) if accepting and rng.random() < 0.3 \
            else None
        waitlist = rng.randint(2, 12) if not accepting and rng.random() < 0.5 else None
        return {
            "accepting_new_clients": accepting, "accepting_confirmed": self.accepting_confirmed(),
            "next_opening": next_opening, "waitlist_weeks": waitlist,
            "weekday_daytime": rng.random() < 0.9, "evenings": rng.random() < 0.35, "weekends": rng.random() < 0.15,
        }

    def providers(self, count: int) -> list[ProviderRecord]:
        records = [self.provider(n, self.first_code(n)) for n in range(1, count + 1)]
        self.use_every_term(records)
        for record in records:
            record.values["bio"] = self.bio(record)
        return records

    def first_code(self, n: int) -> str | None:
        """The first providers hold one credential each, in order, so that every credential is used."""
        codes = list(self.taxonomy.credentials)
        return codes[n - 1] if n <= len(codes) else None

    def stream(self, count: int, batch: int) -> Iterator[ProviderRecord]:
        """The same providers as providers(count), without holding them all: each as it is drawn, then again
        (revised) any that use_every_term() gives a value nobody drew. A writer keeps the last of each."""
        starts = []  # the generator's state at the start of each batch, to draw a batch again
        prescribing = bytearray()
        used: dict[str, set[str]] = {}
        for first in range(1, count + 1, batch):
            starts.append(self.rng.getstate())
            for n in range(first, min(first + batch, count + 1)):
                record = self.provider(n, self.first_code(n))
                prescribing.append(self.prescribes(record))
                for column, keys in record.terms.items():
                    used.setdefault(column, set()).update(keys)
                record.values["bio"] = self.bio(record)
                yield record
        added = self.terms_nobody_drew(used, prescribing)
        self.revised = len(added)
        for n, terms in sorted(added.items()):
            again = Generator(self.taxonomy, self.seed, self.today)
            again.rng.setstate(starts[(n - 1) // batch])
            first = (n - 1) // batch * batch + 1
            for earlier in range(first, n):
                again.provider(earlier, self.first_code(earlier))
            record = again.provider(n, self.first_code(n))
            for column, keys in terms.items():
                record.terms[column] = sorted({*record.terms[column], *keys})
            record.values["bio"] = self.bio(record)
            yield record

    def prescribes(self, record: ProviderRecord) -> bool:
        return any(self.taxonomy.credentials[lic.code] for lic in record.licenses or [])

    def provider(self, n: int, code: str | None) -> ProviderRecord:
        rng = self.rng
        gender = GENDERS.pick(rng)
        first = rng.choice(FIRST_NAMES[gender])
        last = rng.choice(SURNAME_STARTS) + rng.choice(SURNAME_ENDS)
        middle = f" {rng.choice('ABCDEFGHJKLMNPRSTW')}." if rng.random() < 0.3 else ""
        code = code or self.credential_weights.pick(rng)
        prescriber = self.taxonomy.credentials[code]

        home = STATE_DRAW.pick(rng)
        states = [home]
        extra = 2 if rng.random() < 0.05 else 1 if rng.random() < 0.16 else 0
        while len(states) < 1 + extra:
            state = STATE_DRAW.pick(rng)
            if state not in states:
                states.append(state)
        last_verified = (self.days_ago(0, 364) if rng.random() < 0.65
                         else self.days_ago(365, 730) if rng.random() < 0.7 else None)
        licenses = [
            LicenseRecord(code, state, f"DEMO-{self.seed}-{n:06d}-{k}",
                          self.days_ago(0, 730) if rng.random() < 0.6 else None)
            for k, state in enumerate(states, start=1)
        ]

        place = rng.choice(places_by_state()[home])
        offices = []
        if rng.random() >= 0.2:
            offices.append(self.office(place))
            if rng.random() < 0.08:
                offices.append(self.office(rng.choice(places_by_state()[home])))
        telehealth = not offices or rng.random() < 0.65

        modalities = self.modalities(prescriber)
        conditions = (self.prescriber_conditions if prescriber else self.conditions).sample(rng, rng.randint(2, 6))
        formats = self.some(self.taxonomy.formats, {"individual": 0.95, "couples": 0.85 if code == "LMFT" else 0.2,
                                                    "family": 0.6 if code == "LMFT" else 0.15, "group": 0.12})
        ages = self.some(self.taxonomy.age_groups, {"adults": 0.93, "older-adults": 0.35, "adolescents": 0.3,
                                                    "children": 0.15})
        languages = ["en"] if rng.random() < 0.97 and "en" in self.taxonomy.languages else []
        if self.other_languages and (rng.random() < 0.25 or not languages):
            languages.append(self.other_languages.pick(rng))
        plans = [] if rng.random() < 0.25 else self.insurance.sample(rng, rng.randint(1, 5))

        standard_fee = low = high = None
        if rng.random() >= 0.1:
            bottom, top = (180, 380) if prescriber else (140, 260) if code in PSYCHOLOGISTS else (90, 190)
            fee = rng.randrange(bottom, top + 1, 5)
            standard_fee = _money(fee)
            if rng.random() < 0.35:
                floor = rng.randrange(20, fee // 2 + 1, 5)
                low, high = _money(floor), _money(rng.randrange(floor + 10, fee - 4, 5))

        name = f"{first}{middle} {last}"
        handle = f"{first}.{last}".lower()
        values = {
            "name": name,
            "pronouns": PRONOUNS[gender] if rng.random() < 0.6 else "",
            "gender": gender if rng.random() < 0.9 else "",
            "practice_name": self.practice_name(last, code, prescriber) if rng.random() < 0.5 else "",
            "bio": "",
            "phone": f"({place.area_code}) 555-01{rng.randint(0, 99):02d}",
            "email": f"{handle}@example.org",
            "website": f"https://example.org/{handle.replace('.', '-')}" if rng.random() < 0.45 else "",
            "standard_fee": standard_fee,
            "sliding_scale_min": low,
            "sliding_scale_max": high,
            "free_consultation": rng.random() < (0.15 if prescriber else 0.45),
            "telehealth": telehealth,
            **self.availability(),
            "last_verified": last_verified,
            "published": rng.random() < 0.95,
        }
        return ProviderRecord(
            external_id=f"demo-{self.seed}-{n:06d}",
            values=values,
            terms={"modalities": sorted(modalities), "conditions": sorted(conditions), "formats": sorted(formats),
                   "age_groups": sorted(ages), "languages": sorted(languages), "insurance": sorted(plans)},
            licenses=licenses,
            offices=offices,
            line=n,
        )

    def office(self, place: Place) -> OfficeRecord:
        rng = self.rng
        suite = f", Suite {rng.randint(1, 9)}{rng.randint(0, 2)}{rng.randint(0, 9)}" if rng.random() < 0.5 else ""
        address = f"{rng.randint(10, 9899)} {rng.choice(STREETS)} {rng.choice(STREET_KINDS)}{suite}"
        return OfficeRecord(address, place.city, place.state, place.zip_code, place.latitude, place.longitude)

    def some(self, keys: list[str], chances: dict[str, float]) -> list[str]:
        """Each key with its chance (values staff added: 0.1); at least the likeliest one."""
        if not keys:
            return []
        chosen = [key for key in keys if self.rng.random() < chances.get(key, 0.1)]
        return chosen or [max(keys, key=lambda key: chances.get(key, 0.1))]

    def modalities(self, prescriber: bool) -> list[str]:
        rng = self.rng
        if prescriber:
            chosen = [slug for slug in self.prescriber_only if rng.random() < PRESCRIBER_MODALITIES.get(slug, 0.1)]
            if rng.random() < 0.35:
                chosen += self.psychotherapies.sample(rng, rng.randint(1, 2))
            return chosen or ["medication-management" if "medication-management" in self.prescriber_only
                              else self.prescriber_only[0]]
        chosen = self.psychotherapies.sample(rng, rng.randint(2, 5))
        if self.complementary and rng.random() < 0.15:
            chosen.append(rng.choice(self.complementary))
        return chosen

    def practice_name(self, last: str, code: str, prescriber: bool) -> str:
        # Built on the invented surname: a real place name could match a real practice.
        if prescriber:
            return f"{last} Psychiatry"
        kinds = PRACTICE_KINDS + (["Psychological Services"] if code in PSYCHOLOGISTS else [])
        return f"{last} {self.rng.choice(kinds)}"

    def bio(self, record: ProviderRecord) -> str:
        """What the listing offers, and nothing more: no claims about outcomes."""
        first = str(record.values["name"]).split()[0]
        offers = join_words([self.taxonomy.modality_names[slug] for slug in record.terms["modalities"]])
        focus = join_words([_in_sentence(self.taxonomy.conditions[slug]) for slug in record.terms["conditions"]])
        ages_text = join_words([age.replace("-", " ") for age in record.terms["age_groups"]])
        where = []
        if record.offices:
            where.append(f"in person in {record.offices[0].city}, {record.offices[0].jurisdiction}")
        if record.values["telehealth"]:
            where.append("by telehealth")
        return (f"This is a fictional listing for demonstration; the person and practice do not exist. "
                f"{first} offers {offers} for {ages_text}, with a focus on {focus}, and sees clients "
                f"{' and '.join(where)}.")

    def use_every_term(self, records: list[ProviderRecord]) -> None:
        """Add each taxonomy value nobody drew to one suitable provider, so a demo shows every filter working."""
        used: dict[str, set[str]] = {}
        for record in records:
            for column, keys in record.terms.items():
                used.setdefault(column, set()).update(keys)
        added = self.terms_nobody_drew(used, bytearray(self.prescribes(record) for record in records))
        for n, terms in added.items():
            record = records[n - 1]
            for column, keys in terms.items():
                record.terms[column] = sorted({*record.terms[column], *keys})

    def terms_nobody_drew(self, used: dict[str, set[str]], prescribing: bytearray) -> dict[int, dict[str, set[str]]]:
        """Each taxonomy value nobody drew, given to one suitable provider (numbered from 1): {n: {column: keys}}."""
        prescribers = [n for n, prescribes in enumerate(prescribing, start=1) if prescribes]
        therapists = [n for n, prescribes in enumerate(prescribing, start=1) if not prescribes]
        pool_of_all = range(1, len(prescribing) + 1)
        added: dict[int, dict[str, set[str]]] = {}
        every = {
            "modalities": list(self.taxonomy.modalities), "conditions": list(self.taxonomy.conditions),
            "formats": self.taxonomy.formats, "age_groups": self.taxonomy.age_groups,
            "languages": self.taxonomy.languages, "insurance": self.taxonomy.insurance,
        }
        for column, keys in every.items():
            for key in keys:
                if key in used.get(column, ()):
                    continue
                if column == "modalities":
                    pool = prescribers if key in self.prescriber_only else therapists
                else:
                    pool = pool_of_all
                if pool:
                    n = self.rng.choice(pool)
                    added.setdefault(n, {}).setdefault(column, set()).add(key)
        return added


def generate(count: int, seed: int, today: datetime.date, taxonomy: Taxonomy | None = None) -> list[ProviderRecord]:
    return Generator(taxonomy or Taxonomy.load(), seed, today).providers(count)


# --- As a fixture ----------------------------------------------------------------------------


def _iso(value: datetime.date | None) -> str | None:
    return value.isoformat() if value else None


def _fee(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def fixture_objects(records: list[ProviderRecord], today: datetime.date) -> list[dict]:
    """Django fixture objects with natural keys and no primary keys, so loading twice updates in place."""
    providers, licenses, offices = [], [], []
    taken: set[str] = set()
    for record in records:
        values = record.values
        slug = unique_slug(str(values["name"]), taken)
        stamp = f"{(values['last_verified'] or today).isoformat()}T12:00:00Z"
        providers.append({"model": "directory.provider", "fields": {
            "external_id": record.external_id,
            **{key: value for key, value in values.items()
               if key not in ("standard_fee", "sliding_scale_min", "sliding_scale_max", "accepting_confirmed",
                              "next_opening", "last_verified")},
            "slug": slug,
            "standard_fee": _fee(values["standard_fee"]),
            "sliding_scale_min": _fee(values["sliding_scale_min"]),
            "sliding_scale_max": _fee(values["sliding_scale_max"]),
            "accepting_confirmed": _iso(values["accepting_confirmed"]),
            "next_opening": _iso(values["next_opening"]),
            "last_verified": _iso(values["last_verified"]),
            "needs_reverification": False,
            **{column: [[key] for key in keys] for column, keys in record.terms.items()},
            "created": stamp,
            "updated": stamp,
        }})
        for license in record.licenses or []:
            licenses.append({"model": "directory.license", "fields": {
                "provider": [slug], "credential_type": [license.code], "jurisdiction": license.jurisdiction,
                "number": license.number, "verified_on": _iso(license.verified_on), "verified_by": None,
                "expires_on": None,
            }})
        for office in record.offices or []:
            offices.append({"model": "directory.office", "fields": {
                "provider": [slug], "address": office.address, "city": office.city,
                "jurisdiction": office.jurisdiction, "postal_code": office.postal_code,
                # loaddata saves with save_base(), not save(), so the coordinates must be in the fixture.
                "latitude": office.latitude, "longitude": office.longitude, "wheelchair_accessible": False,
            }})
    return providers + licenses + offices


def fixture_text(records: list[ProviderRecord], today: datetime.date) -> str:
    return json.dumps(fixture_objects(records, today), indent=1, ensure_ascii=False) + "\n"
