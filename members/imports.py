"""Importing members from a club's previous system: a CSV or XLSX file, previewed row by row,
written only when a manager confirms.

`read` turns the file into rows of strings, `plan` says what each row would do (new, update,
unchanged, or its errors) without writing anything, and `apply` plans again under a lock and
writes the valid rows in one transaction. Re-running a file is harmless: a person already here
(matched as `leads.known_person` matches, or by their card and name) is an update or unchanged,
never a second record. See "Member import" in docs/architecture.md.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field

import phonenumbers
import tablib
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models, transaction
from django.db.models import OuterRef, Q
from django.db.models.functions import Lower
from django.db.models.lookups import In

from club import clock
from club.models import Club
from members import consent, leads, search, timeline
from members.models import (
    EMAIL_MAX_LENGTH,
    Channel,
    Member,
    MemberEvent,
    birth_date_problem,
    consent_logged,
)

# A file this big holds some 20,000 rows of contacts; more is split into several files.
MAX_BYTES = 2 * 1024 * 1024
# Rows per file: the preview lists every row, and confirming writes them in one transaction.
MAX_ROWS = 5000
# Where the consent log says the consent came from.
CONSENT_SOURCE = "import"

NAME_MAX_LENGTH = 80
CARD_MAX_LENGTH = 64
DATE_FORMATS = ("%Y-%m-%d", "%d-%m-%Y", "%d/%m/%Y", "%d.%m.%Y")
YES = {"yes", "y", "true", "1", "x"}
NO = {"no", "n", "false", "0", ""}
# What separates a CSV file's cells: Excel writes ";" where the decimal mark is a comma.
SEPARATORS = (",", ";", "\t")


@dataclass(frozen=True)
class Column:
    field: str
    heading: str
    # Other headings other systems use, folded as headings are (search.fold).
    aliases: tuple[str, ...] = ()


COLUMNS = (
    Column("first_name", "First name", ("firstname", "givenname", "forename")),
    Column("last_name", "Last name", ("lastname", "surname", "familyname")),
    Column("email", "Email", ("emailaddress",)),
    Column("phone", "Phone", ("phonenumber", "mobile", "mobilephone", "telephone")),
    Column("birth_date", "Birth date", ("dateofbirth", "birthday", "born", "dob")),
    Column("card", "Card", ("cardnumber", "cardtoken", "cardid", "keyfob")),
    Column("sms_consent", "SMS consent", ("smsoptin",)),
    Column("email_consent", "Email consent", ("emailoptin",)),
    Column("home_club", "Home club", ("club",)),
)
HEADINGS = {column.field: column.heading for column in COLUMNS}
_BY_HEADING = {
    name: column.field
    for column in COLUMNS
    for name in (search.fold(column.heading), *column.aliases)
}
# What tells a person again next time: without one, a re-run would add them twice.
IDENTIFIERS = ("email", "phone", "card")

# The template's example rows: what a manager copies the shape of.
EXAMPLE = (
    (
        "Anna",
        "de Wit",
        "anna.dewit@example.com",
        "06 12345678",
        "1990-04-17",
        "04A1B2C3",
        "yes",
        "yes",
    ),
    ("Jan", "van Vliet", "", "+31 6 87654321", "03-11-1985", "", "no", ""),
)


class FileRefused(Exception):
    """The file as a whole cannot be read (type, size, rows, headings); says why in words."""


@dataclass(frozen=True)
class Sheet:
    """A file read: its rows as {field: text} with their number as a spreadsheet shows it (the
    headings are row 1), and the headings that match no column (left out, and said so)."""

    rows: list[tuple[int, dict[str, str]]]
    columns: list[str]
    ignored: list[str]


def read(upload, *, name: str = "") -> Sheet:
    """The rows of an uploaded CSV or XLSX file, every cell as text (so a phone keeps its
    leading 0 and a card its zeros); raises FileRefused with the reason."""
    name = name or getattr(upload, "name", "") or ""
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise FileRefused(
            f"The file is {size / 1024 / 1024:.1f} MB; the limit is {MAX_BYTES // 1024 // 1024} MB "
            f"and {MAX_ROWS:,} rows. Split it into smaller files and import each."
        )
    content = upload.read(MAX_BYTES + 1)
    if len(content) > MAX_BYTES:
        raise FileRefused(f"The file is over {MAX_BYTES // 1024 // 1024} MB; split it.")
    header, records = _table(content, name.lower())
    headings = [str(heading or "").strip() for heading in header]
    fields: list[str | None] = []
    ignored = []
    for heading in headings:
        found = _BY_HEADING.get(search.fold(heading))
        if found is not None and found in fields:
            raise FileRefused(f"Two columns are headed “{heading}”: keep one.")
        fields.append(found)
        if found is None and heading:
            ignored.append(heading)
    if "first_name" not in fields:
        raise FileRefused(
            "The first line must hold the column headings, with at least “First name” "
            f"(found: {', '.join(h for h in headings if h) or 'nothing'}). Use the template."
        )
    if not set(IDENTIFIERS) & set(fields):
        raise FileRefused("The file needs an Email, a Phone or a Card column to tell people apart.")
    rows = []
    # Numbered as the spreadsheet shows them: blank lines count (and are skipped).
    for number, values in enumerate(records, start=2):
        texts = [_text(value) for value in values]
        if not any(texts):
            continue  # a blank line
        rows.append(
            (number, {f: text for f, text in zip(fields, texts, strict=False) if f is not None})
        )
    if not rows:
        raise FileRefused("The file has headings but no rows under them.")
    if len(rows) > MAX_ROWS:
        raise FileRefused(
            f"The file has {len(rows):,} rows; the limit is {MAX_ROWS:,} per file. "
            "Split it into smaller files and import each."
        )
    return Sheet(rows, [f for f in fields if f], ignored)


def _table(content: bytes, name: str) -> tuple[list, list[list]]:
    """The file's first row and every row after it, blank ones included (as empty rows), so
    their positions are the spreadsheet's row numbers."""
    if content.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused("This is an old Excel file (.xls): save it as .xlsx or .csv first.")
    if content.startswith(b"PK\x03\x04"):
        try:
            # tablib keeps an XLSX file's empty rows, as rows of empty cells.
            dataset = tablib.Dataset().load(io.BytesIO(content), format="xlsx")
            return list(dataset.headers or []), [list(values) for values in dataset]
        except Exception as error:  # openpyxl raises many kinds for a file it cannot read
            raise FileRefused(
                "This file is not an Excel workbook we can read: save it as .xlsx or .csv."
            ) from error
    if not name.endswith((".csv", ".txt")) or b"\x00" in content:
        raise FileRefused("Upload a CSV or XLSX file (for example the template below).")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel's "CSV" on Windows in Western Europe.
        text = content.decode("cp1252", errors="replace")
    # Excel writes ";" where the decimal mark is a comma (most of Europe): the headings tell
    # which (csv.Sniffer guessed wrong on rows of empty cells).
    heading = text.split("\n", 1)[0]
    delimiter = max(SEPARATORS, key=heading.count)
    # Read with the csv module, not tablib, which drops blank lines and so renumbers the rows
    # after them. A record is a spreadsheet row, even with a line break inside a quoted cell.
    uneven = FileRefused(
        "This CSV file cannot be read: every row must have as many cells as the headings."
    )
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as error:
        raise uneven from error
    header, rows = (records[0], records[1:]) if records else ([], [])
    # A line of separators alone (";;;;": a spreadsheet's empty row, with more or other
    # separators than the headings have) is a blank line, kept in place for the numbering.
    rows = [[] if _only_separators(values) else values for values in rows]
    if any(len(values) > len(header) for values in rows):
        raise uneven
    # A row may stop before the last columns (empty cells left off), as tablib allowed.
    return header, [values + [""] * (len(header) - len(values)) for values in rows]


def _only_separators(values: list[str]) -> bool:
    return all(c in SEPARATORS or c.isspace() for c in "".join(values))


def _text(value) -> str:
    """A cell as text: a spreadsheet's dates as YYYY-MM-DD, whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _tidy(str(value))


def _tidy(text: str) -> str:
    """A cell's text with its whitespace as a web page shows it: runs of spaces, tabs and line
    breaks (a cell typed over two lines) as one space, none at either end; other control
    characters dropped. Done before any check, so the preview shows what will be saved."""
    text = "".join(c for c in text if c.isspace() or unicodedata.category(c) != "Cc")
    return " ".join(text.split())


def template(file_format: str) -> bytes:
    """An empty file with the headings and the example rows, as CSV or XLSX."""
    dataset = tablib.Dataset(*EXAMPLE, headers=[column.heading for column in COLUMNS[:-1]])
    exported = dataset.export(file_format)
    return exported.encode() if isinstance(exported, str) else exported


class Outcome(models.TextChoices):
    NEW = "new", "New"
    UPDATE = "update", "Update"
    UNCHANGED = "unchanged", "Unchanged"
    ERROR = "error", "Error"


@dataclass
class RowPlan:
    """What one row would do: its outcome, and for an error every field's reason."""

    number: int
    values: dict[str, str]
    outcome: str = Outcome.NEW
    errors: list[tuple[str, str]] = field(default_factory=list)
    club: Club | None = None
    member: Member | None = None
    # The member here whose email the row gives under another name: the row is refused.
    email_owner: Member | None = None
    cleaned: dict = field(default_factory=dict)
    # For an update: the fields filled in, and what the record here keeps (differs in the file).
    adds: list[str] = field(default_factory=list)
    keeps: list[str] = field(default_factory=list)
    consent: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.values.get('first_name', '')} {self.values.get('last_name', '')}".strip()

    def error(self, column: str, reason: str) -> None:
        self.errors.append((HEADINGS.get(column, column), reason))
        self.outcome = Outcome.ERROR


@dataclass
class Plan:
    rows: list[RowPlan]

    def count(self, outcome: str) -> int:
        return sum(1 for row in self.rows if row.outcome == outcome)

    @property
    def counts(self) -> dict[str, int]:
        return {outcome: self.count(outcome) for outcome in Outcome.values}

    @property
    def writes(self) -> bool:
        return any(row.outcome in (Outcome.NEW, Outcome.UPDATE) for row in self.rows)


def plan(
    rows: list[tuple[int, dict[str, str]]], *, club: Club, clubs: list[Club], lock: bool = False
) -> Plan:
    """What importing `rows` at `club` (or each row's home club, among `clubs`, the manager's)
    would do, row by row; writes nothing. One query finds everyone the file could name."""
    result = [_clean(RowPlan(number, values), club=club, clubs=clubs) for number, values in rows]
    people = _people(result, lock=lock)
    seen: dict[tuple, int] = {}
    for row in result:
        _match(row, people)
        _consent_needs_address(row)
        _not_twice(row, seen)
        if row.outcome != Outcome.ERROR:
            _outcome(row)
    return Plan(result)


def _clean(row: RowPlan, *, club: Club, clubs: list[Club]) -> RowPlan:
    values, cleaned = row.values, row.cleaned
    row.club = club
    if named := values.get("home_club", ""):
        row.club = next(
            (c for c in clubs if search.fold(named) in (search.fold(c.name), search.fold(c.slug))),
            None,
        )
        if row.club is None:
            row.error("home_club", f"“{named}” is not one of your clubs.")
    for name in ("first_name", "last_name"):
        cleaned[name] = values.get(name, "")
        if len(cleaned[name]) > NAME_MAX_LENGTH:
            row.error(name, f"Longer than {NAME_MAX_LENGTH} characters.")
    if not cleaned["first_name"]:
        row.error("first_name", "Required.")
    cleaned["search_name"] = search.search_name(cleaned["first_name"], cleaned["last_name"])
    if email := values.get("email", ""):
        try:
            validate_email(email)
            if len(email) > EMAIL_MAX_LENGTH:
                raise ValidationError("too long")
            cleaned["email"] = email
        except ValidationError:
            row.error("email", f"“{email}” is not an email address.")
    if phone := values.get("phone", ""):
        region = (row.club or club).phone_region
        if number := _phone(phone, region):
            cleaned["phone"] = number
        else:
            row.error(
                "phone",
                f"“{phone}” is not a phone number we can read (numbers without a country "
                f"code are read as {region} numbers).",
            )
    if born := values.get("birth_date", ""):
        _birth_date(row, born, clock.today(row.club or club))
    if card := values.get("card", ""):
        cleaned["card"] = search.card_token(card)
        if len(cleaned["card"]) > CARD_MAX_LENGTH:
            row.error("card", f"Longer than {CARD_MAX_LENGTH} characters.")
    for column in ("sms_consent", "email_consent"):
        given = values.get(column, "").lower()
        if given in YES:
            cleaned[column] = True
        elif given in NO:
            cleaned[column] = False
        else:
            row.error(column, f"“{values[column]}”: write yes or no (empty is no).")
    if not any(values.get(name) for name in IDENTIFIERS):
        row.error("email", "An email, a phone or a card is needed to find this person again.")
    return row


def _phone(text: str, region: str) -> str | None:
    number = search.as_phone(text, region)
    if number is None or not phonenumbers.is_valid_number(phonenumbers.parse(number)):
        return None
    return number


def _birth_date(row: RowPlan, text: str, today: dt.date) -> None:
    for pattern in DATE_FORMATS:
        try:
            born = dt.datetime.strptime(text, pattern).date()
            break
        except ValueError:
            continue
    else:
        row.error("birth_date", f"“{text}” is not a date: write it as YYYY-MM-DD or DD-MM-YYYY.")
        return
    if problem := birth_date_problem(born, today=today):
        row.error("birth_date", problem)
    else:
        row.cleaned["birth_date"] = born


@dataclass
class _People:
    by_email: dict[str, list[Member]]
    by_phone: dict[str, list[Member]]
    by_card: dict[str, Member]


def _people(rows: list[RowPlan], *, lock: bool) -> _People:
    """Everyone in the chain whom the rows' emails, phones or cards name, in one query, with
    whether each was ever asked for consent (a logged withdrawal is theirs to keep)."""
    emails = {row.cleaned["email"].lower() for row in rows if "email" in row.cleaned}
    phones = {row.cleaned["phone"] for row in rows if "phone" in row.cleaned}
    cards = {row.cleaned["card"] for row in rows if "card" in row.cleaned}
    named = Q(pk__in=[])
    if emails:
        # LOWER(email) IN (…), which the member_email_lower index answers.
        named |= Q(In(Lower("email"), sorted(emails)))
    if phones:
        named |= Q(phone__in=sorted(phones))
    if cards:
        named |= Q(card_token__in=sorted(cards))
    members = (
        Member.objects.not_erased()
        .filter(named)
        .select_related("home_club")
        .annotate(
            sms_logged=consent_logged(OuterRef("pk"), Channel.SMS),
            email_logged=consent_logged(OuterRef("pk"), Channel.EMAIL),
        )
        .order_by("pk")
    )
    if lock:
        members = members.select_for_update(of=("self",))
    people = _People(defaultdict(list), defaultdict(list), {})
    for member in members:
        if member.email:
            people.by_email[member.email.lower()].append(member)
        if member.phone:
            people.by_phone[str(member.phone)].append(member)
        if member.card_token:
            people.by_card[member.card_token] = member
    return people


def _match(row: RowPlan, people: _People) -> None:
    """The member of the row's club who is this person (the rule of `leads.known_person`, or
    the same card and name), or an error when another club of the chain knows them or another
    member holds the card."""
    if row.club is None:
        return
    cleaned, club_id = row.cleaned, row.club.pk
    name = cleaned["search_name"]
    by_email = people.by_email.get(cleaned.get("email", "").lower(), [])
    by_phone = [
        m for m in people.by_phone.get(cleaned.get("phone", ""), []) if m.search_name == name
    ]
    holder = people.by_card.get(cleaned.get("card", ""))
    # As at the desk: an email held here only under other names is not this person's, who
    # must neither be merged into its holder nor give them consent (leads.email_of_another).
    row.email_owner = leads.holder_of_another_name(
        [m for m in by_email if m.home_club_id == club_id],
        first_name=cleaned["first_name"],
        last_name=cleaned["last_name"],
    )
    here = [m for m in (*by_email, *by_phone) if m.home_club_id == club_id]
    if row.email_owner is not None:
        row.error(
            "email",
            f"This email belongs to {leads.short_name(row.email_owner)} under another name: "
            "correct the email, or leave it out to import this person by phone or card.",
        )
    elif here:
        # As known_person: a matching name first, then the oldest record.
        row.member = min(here, key=lambda m: (m.search_name != name, m.pk))
    elif holder is not None and holder.home_club_id == club_id and holder.search_name == name:
        # A card, like a phone, is the person only with their name: cards are passed on, and
        # a typo in the file must not put someone else's details on Maya.
        row.member = holder
    else:
        elsewhere = [m for m in by_email if m.home_club_id != club_id] or [
            m for m in by_phone if m.home_club_id != club_id
        ]
        if elsewhere:
            by = "email" if by_email else "phone and name"
            row.error(
                "email" if by_email else "phone",
                f"Already registered at {elsewhere[0].home_club.name} (same {by}): the chain "
                "keeps one record per person, so this row is not imported here.",
            )
    if holder is not None and holder != row.member:
        # Not named: they may be another club's member.
        row.error("card", "This card is already another member's.")


def _consent_needs_address(row: RowPlan) -> None:
    """Consent to a channel only with an address for it, in the row or on the record here, as
    the desk's walk-in form asks: a "yes" to texts for someone with no phone (or a landline) is
    a row gone wrong, and would put them in SMS segments nobody can send to."""
    if row.cleaned.get("sms_consent"):
        on_record = row.member.phone if row.member is not None else ""
        # A phone given but unreadable has its own error already.
        if not (row.values.get("phone") and "phone" not in row.cleaned) and (
            problem := consent.sms_consent_problem(row.cleaned.get("phone") or on_record)
        ):
            row.error("sms_consent", problem)
    on_record = row.member is not None and row.member.email
    if row.cleaned.get("email_consent") and not row.values.get("email") and not on_record:
        row.error("email_consent", "Email consent needs an email address.")


def _not_twice(row: RowPlan, seen: dict[tuple, int]) -> None:
    """A person or a card only once per file: the second row is an error naming the first."""
    cleaned = row.cleaned
    keys = []
    # A row refused for another member's email does not make the email taken in the file:
    # that member's own row, further down, is still theirs.
    if (email := cleaned.get("email")) and row.email_owner is None:
        keys.append((("email", email.lower()), "The same email is on row {}."))
    if phone := cleaned.get("phone"):
        keys.append(
            (("phone", phone, cleaned["search_name"]), "The same name and phone are on row {}.")
        )
    if card := cleaned.get("card"):
        keys.append((("card", card), "The same card is on row {}."))
    if row.member is not None:
        keys.append((("member", row.member.pk), "Row {} is the same member."))
    for key, message in keys:
        if key in seen:
            row.error(key[0] if key[0] != "member" else "Person", message.format(seen[key]))
        else:
            seen[key] = row.number


def _outcome(row: RowPlan) -> None:
    cleaned, member = row.cleaned, row.member
    wanted = [
        c
        for c, col in ((Channel.SMS, "sms_consent"), (Channel.EMAIL, "email_consent"))
        if cleaned.get(col)
    ]
    if member is None:
        row.outcome = Outcome.NEW
        row.consent = wanted
        return
    for field_name, attribute, label in (
        ("email", "email", "email"),
        ("phone", "phone", "phone"),
        ("birth_date", "birth_date", "birth date"),
        ("card", "card_token", "card"),
    ):
        if field_name not in cleaned:
            continue
        current = getattr(member, attribute)
        if not current:
            row.adds.append(label)
        elif str(current).lower() != str(cleaned[field_name]).lower():
            row.keeps.append(label)
    for channel in wanted:
        if member.has_consent(channel):
            continue
        if getattr(member, f"{channel}_logged"):
            # They withdrew here (or were asked and said no): newer than the old system.
            row.keeps.append(f"{Channel(channel).label} opt-out")
        else:
            row.consent.append(channel)
            row.adds.append(f"{Channel(channel).label} consent")
    row.outcome = Outcome.UPDATE if row.adds else Outcome.UNCHANGED


@transaction.atomic
def apply(
    rows: list[tuple[int, dict[str, str]]],
    *,
    club: Club,
    clubs: list[Club],
    by,
    file_name: str,
) -> Plan:
    """Import `rows`: plan them again (the preview may be minutes old) and write every new and
    updated row in one transaction; error rows are skipped. Running it twice adds nothing."""
    # Imports at one club wait for each other, so two confirmations of one file cannot both
    # see a person as new; NO KEY UPDATE leaves the club's other inserts (visits…) alone.
    list(
        Club.objects.select_for_update(no_key=True)
        .filter(pk__in=[c.pk for c in clubs])
        .order_by("pk")
    )
    result = plan(rows, club=club, clubs=clubs, lock=True)
    now = clock.now()
    new = [row for row in result.rows if row.outcome == Outcome.NEW]
    updated = [row for row in result.rows if row.outcome == Outcome.UPDATE]
    members = Member.objects.bulk_create(
        Member(
            home_club=row.club,
            first_name=row.cleaned["first_name"],
            last_name=row.cleaned["last_name"],
            email=row.cleaned.get("email", ""),
            phone=row.cleaned.get("phone", ""),
            birth_date=row.cleaned.get("birth_date"),
            card_token=row.cleaned.get("card"),
            source=Member.Source.IMPORT,
            created_at=now,
        )
        for row in new
    )
    for row, member in zip(new, members, strict=True):
        row.member = member
    changed = set()
    phoned = [row.member for row in new]
    for row in updated:
        member = row.member
        for field_name, attribute in (
            ("email", "email"),
            ("phone", "phone"),
            ("birth_date", "birth_date"),
            ("card", "card_token"),
        ):
            if field_name in row.cleaned and not getattr(member, attribute):
                setattr(member, attribute, row.cleaned[field_name])
                changed.add(attribute)
                if attribute == "phone":
                    phoned.append(member)
    if changed:
        Member.objects.bulk_update([row.member for row in updated], sorted(changed))
    for channel in (Channel.SMS, Channel.EMAIL):
        given = [row.member for row in (*new, *updated) if channel in row.consent]
        if given:
            consent.set_consent_many(
                given, channel, granted=True, source=CONSENT_SOURCE, recorded_by=by
            )
    # As a lead registered at the desk: a phone another member of the club has is noted.
    leads.note_same_phones(phoned, at=now)
    timeline.record_each(
        MemberEvent.Kind.IMPORTED,
        [(row.member, now, {"file": file_name, "row": row.number}) for row in new],
        actor=by,
    )
    timeline.record_each(
        MemberEvent.Kind.IMPORT_UPDATED,
        [
            (row.member, now, {"file": file_name, "row": row.number, "added": row.adds})
            for row in updated
        ],
        actor=by,
    )
    return result
