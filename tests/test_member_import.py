"""Members › Import: a manager uploads a CSV or XLSX file from the club's previous system, sees
every row's outcome, and confirms; nothing is written before, and a second run adds nothing."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from campaigns import evaluator
from campaigns.models import Touchpoint
from club import roles
from members import imports, leads
from members.models import Channel, ConsentLog, Member, MemberEvent, Task
from tests.factories import ConsentLogFactory, MemberFactory, UserFactory

FILE = (
    "First name;Last name;E-mail;Phone;Birth date;Card;SMS consent;Email consent;Notes\n"
    "Anna;de Wit;anna@example.com;06 11112222;17-04-1990;04 a1 b2;yes;no;VIP\n"
    "Maya;Jansen;MAYA.JANSEN@example.com;;;;;yes;\n"
    "Ben;Bakker;ben@;0612;1990-02-30;;maybe;;\n"
    "Cas;Cool;cas@example.com;;2030-01-01;maya-0001;;;\n"
    "Rita;River;rita@example.com;;;;;;\n"
    "Anna;de Wit;ANNA@example.com;;;;;;\n"
    "Lena;Lead;;;;;;;\n"
    "Lotte;Lead;lotte@example.com;06 33334444;1985-06-01;;yes;yes\n"
)
# What the file says about each row: (row, outcome, errors as (column, reason)).
PREVIEW = [
    (2, "new", []),
    (3, "unchanged", []),
    (
        4,
        "error",
        [
            ("Email", "“ben@” is not an email address."),
            (
                "Phone",
                "“0612” is not a phone number we can read (numbers without a country code "
                "are read as NL numbers).",
            ),
            ("Birth date", "“1990-02-30” is not a date: write it as YYYY-MM-DD or DD-MM-YYYY."),
            ("SMS consent", "“maybe”: write yes or no (empty is no)."),
        ],
    ),
    (
        5,
        "error",
        [
            ("Birth date", "01-01-2030 is in the future."),
            ("Card", "This card is already another member's."),
        ],
    ),
    (
        6,
        "error",
        [
            (
                "Email",
                "Already registered at Riverside (same email): the chain keeps one record per "
                "person, so this row is not imported here.",
            )
        ],
    ),
    (7, "error", [("Email", "The same email is on row 2.")]),
    (8, "error", [("Email", "An email, a phone or a card is needed to find this person again.")]),
    (9, "update", []),
]


@pytest.fixture
def known(frozen_clock, maya, riverside, downtown):
    """Maya (Downtown, with a card), Rita at Riverside, and Lotte, a Downtown lead with no
    birth date who was never asked for consent."""
    MemberFactory(
        home_club=riverside, first_name="Rita", last_name="River", email="rita@example.com"
    )
    return MemberFactory(
        home_club=downtown,
        first_name="Lotte",
        last_name="Lead",
        email="lotte@example.com",
        phone="",
        birth_date=None,
        card_token=None,
    )


def upload(client, content, name="members.csv", **data):
    file = SimpleUploadedFile(name, content.encode() if isinstance(content, str) else content)
    return client.post(reverse("members:import"), {"file": file, **data})


def rows(response) -> list[tuple[int, str, list]]:
    return [(row.number, row.outcome, row.errors) for row in response.context["preview"].rows]


def confirm(client, preview):
    return client.post(reverse("members:import_confirm"), {"payload": preview.context["payload"]})


def imported() -> list[tuple]:
    return sorted(
        Member.objects.filter(source=Member.Source.IMPORT).values_list(
            "first_name",
            "last_name",
            "email",
            "phone",
            "birth_date",
            "card_token",
            "home_club__name",
            "status",
            "sms_consent",
            "email_consent",
        )
    )


def test_the_preview_says_what_each_row_would_do_and_writes_nothing(client, known, max):
    client.force_login(max)
    members_before = Member.objects.count()

    response = upload(client, FILE)

    assert response.status_code == 200
    assert rows(response) == PREVIEW
    assert response.context["counts"] == {"new": 1, "update": 1, "unchanged": 1, "error": 5}
    assert response.context["sheet"].ignored == ["Notes"]
    lotte = response.context["preview"].rows[-1]
    assert (lotte.adds, lotte.keeps) == (
        ["phone", "birth date", "SMS consent", "Email consent"],
        [],
    )
    html = response.content.decode()
    assert "Rows with errors are skipped" in html and "Import 1 new and update 1" in html
    assert Member.objects.count() == members_before
    assert not ConsentLog.objects.filter(source="import").exists()


def test_confirming_writes_the_valid_rows(client, known, max):
    client.force_login(max)
    preview = upload(client, FILE)

    response = confirm(client, preview)

    assert response.status_code == 302 and response["Location"] == reverse("members:import")
    assert imported() == [
        (
            "Anna",
            "de Wit",
            "anna@example.com",
            "+31611112222",
            dt.date(1990, 4, 17),
            "04A1B2",
            "Downtown",
            "lead",
            True,
            False,
        )
    ]
    known.refresh_from_db()
    assert (str(known.phone), known.birth_date, known.sms_consent, known.email_consent) == (
        "+31633334444",
        dt.date(1985, 6, 1),
        True,
        True,
    )
    anna = Member.objects.get(email="anna@example.com")
    assert list(
        ConsentLog.objects.filter(member=anna).values_list("channel", "granted", "source")
    ) == [("sms", True, "import")]
    assert list(anna.events.order_by("kind").values_list("kind", "data", "actor")) == [
        ("consent_changed", {"channel": "sms", "granted": True, "source": "import"}, max.pk),
        ("imported", {"file": "members.csv", "row": 2}, max.pk),
    ]
    assert list(
        known.events.filter(kind=MemberEvent.Kind.IMPORT_UPDATED).values_list("data", flat=True)
    ) == [
        {
            "file": "members.csv",
            "row": 9,
            "added": ["phone", "birth date", "SMS consent", "Email consent"],
        }
    ]
    assert not MemberEvent.objects.filter(kind=MemberEvent.Kind.LEAD_CREATED).exists()


def test_a_second_run_of_the_same_file_adds_nothing(client, known, max):
    client.force_login(max)
    first = upload(client, FILE)
    confirm(client, first)
    members, events = Member.objects.count(), MemberEvent.objects.count()

    again = upload(client, FILE)
    confirm(client, first)  # the first preview confirmed twice (a double click)

    assert again.context["counts"] == {"new": 0, "update": 0, "unchanged": 3, "error": 5}
    assert "This file adds and changes nothing." in again.content.decode()
    assert (Member.objects.count(), MemberEvent.objects.count()) == (members, events)


def test_an_xlsx_file_is_read_as_text(client, frozen_clock, downtown, maya, max):
    # Excel keeps a phone typed as a number without its 0, and a date as a date.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(
        ["FIRST NAME", " last name ", "Email", "Phone", "Date of birth", "Card", "SMS consent"]
    )
    sheet.append(
        ["Ivo", "Smit", "ivo@example.com", 687654321, dt.datetime(1985, 11, 3), 7001, True]
    )
    sheet.append(["Eva", "Smit", "eva@example", None, None, None, None])
    content = io.BytesIO()
    book.save(content)
    client.force_login(max)

    preview = upload(client, content.getvalue(), name="export.xlsx")
    confirm(client, preview)

    assert rows(preview) == [
        (2, "new", []),
        (3, "error", [("Email", "“eva@example” is not an email address.")]),
    ]
    assert imported() == [
        (
            "Ivo",
            "Smit",
            "ivo@example.com",
            "+31687654321",
            dt.date(1985, 11, 3),
            "7001",
            "Downtown",
            "lead",
            True,
            False,
        )
    ]


def test_an_opt_out_here_outweighs_the_old_systems_consent(client, frozen_clock, downtown, max):
    otto = MemberFactory(
        home_club=downtown, first_name="Otto", last_name="Oud", email="otto@example.com"
    )
    ConsentLogFactory(member=otto, channel=Channel.SMS, granted=False, source="SMS STOP")
    client.force_login(max)

    preview = upload(
        client,
        "First name,Last name,Email,Phone,SMS consent\nOtto,Oud,otto@example.com,0687654321,yes\n",
    )

    [row] = preview.context["preview"].rows
    assert (row.outcome, row.adds, row.keeps) == ("unchanged", [], ["phone", "SMS opt-out"])


def test_imported_people_get_no_lead_touchpoints_or_call_tasks(client, known, max):
    # given a lead from the website, who is called and texted as the playbook says
    website, _ = leads.capture(
        known.home_club,
        first_name="Wim",
        email="wim@example.com",
        phone="+31622223333",
        source=Member.Source.WEBSITE,
        sms_consent=True,
        consent_source="trial form",
    )
    client.force_login(max)
    confirm(client, upload(client, FILE))

    # when the playbook runs now and three days later
    evaluator.evaluate()
    evaluator.evaluate(now=evaluator.clock.now() + dt.timedelta(days=3, hours=1))

    # then the imported Anna and the updated Lotte got nothing of the lead rules
    assert Touchpoint.objects.filter(member=website).exists()
    imported_people = Member.objects.filter(email__in=["anna@example.com", "lotte@example.com"])
    assert not Touchpoint.objects.filter(member__in=imported_people).exists()
    assert not Task.objects.filter(member__in=imported_people).exists()


def test_the_home_club_column_picks_among_the_managers_clubs(
    client, frozen_clock, downtown, riverside
):
    area = UserFactory(clubs=[downtown, riverside], roles=[roles.MANAGER])
    client.force_login(area)

    preview = upload(
        client,
        "First name,Email,Home club\nAda,ada@example.com,riverside\nBo,bo@example.com,\n"
        "Cy,cy@example.com,Uptown\n",
        club=downtown.pk,
    )
    confirm(client, preview)

    assert [
        (r.number, r.outcome, r.club and r.club.name) for r in preview.context["preview"].rows
    ] == [
        (2, "new", "Riverside"),
        (3, "new", "Downtown"),
        (4, "error", None),
    ]
    assert [(m[0], m[6]) for m in imported()] == [("Ada", "Riverside"), ("Bo", "Downtown")]


@pytest.mark.parametrize("persona", ["fiona", "tom", "mia", "olga"])
def test_only_managers_import(client, request, frozen_clock, downtown, max, persona):
    client.force_login(max)
    preview = upload(client, "First name,Email\nAda,ada@example.com\n")
    client.force_login(request.getfixturevalue(persona))

    pages = [
        client.get(reverse("members:import")),
        upload(client, "First name,Email\nAda,ada@example.com\n", club=downtown.pk),
        confirm(client, preview),
        client.get(reverse("members:import_template_csv")),
    ]

    # Wagtail's answer to PermissionDenied: back to the dashboard.
    assert [(p.status_code, p["Location"]) for p in pages] == [
        (302, reverse("wagtailadmin_home"))
    ] * 4
    assert not imported()


def test_a_manager_of_another_club_cannot_import_into_ours(
    client, frozen_clock, downtown, riverside, max
):
    rob = UserFactory(username="rob", clubs=[riverside], roles=[roles.MANAGER])
    client.force_login(max)
    maxs_preview = upload(client, "First name,Email\nAda,ada@example.com\n")
    client.force_login(rob)

    chosen = upload(client, "First name,Email\nAda,ada@example.com\n", club=downtown.pk)
    column = upload(
        client, "First name,Email,Home club\nAda,ada@example.com,Downtown\n", club=riverside.pk
    )
    replayed = confirm(client, maxs_preview)

    assert chosen.status_code == 400
    assert chosen.context["form"].errors == {
        "club": ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert rows(column) == [(2, "error", [("Home club", "“Downtown” is not one of your clubs.")])]
    assert replayed.status_code == 302
    assert not imported()


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("members.pdf", b"%PDF-1.7", "Upload a CSV or XLSX file (for example the template below)."),
        (
            "members.xls",
            b"\xd0\xcf\x11\xe0rest",
            "This is an old Excel file (.xls): save it as .xlsx or .csv first.",
        ),
        (
            "members.xlsx",
            b"PK\x03\x04broken",
            "This file is not an Excel workbook we can read: save it as .xlsx or .csv.",
        ),
        (
            "members.csv",
            b"Name,Town\nAda,Delft\n",
            "The first line must hold the column headings, with at least “First name” "
            "(found: Name, Town). Use the template.",
        ),
        (
            "members.csv",
            b"First name,Town\nAda,Delft\n",
            "The file needs an Email, a Phone or a Card column to tell people apart.",
        ),
        ("members.csv", b"First name,Email\n", "The file has headings but no rows under them."),
        (
            "members.csv",
            b"First name,Email\nAda,a@example.com,extra\n",
            "This CSV file cannot be read: every row must have as many cells as the headings.",
        ),
    ],
)
def test_a_file_that_cannot_be_read_is_a_clear_error(
    client, frozen_clock, downtown, max, name, content, error
):
    client.force_login(max)

    response = upload(client, content, name=name)

    assert response.status_code == 400
    assert response.context["form"].errors == {"file": [error]}
    assert not imported()


def test_limits_on_size_and_rows(client, frozen_clock, downtown, max, monkeypatch):
    client.force_login(max)
    monkeypatch.setattr(imports, "MAX_ROWS", 2)

    too_big = upload(client, b"First name,Email\n" + b"x" * imports.MAX_BYTES)
    too_long = upload(
        client, "First name,Email\nA,a@example.com\nB,b@example.com\nC,c@example.com\n"
    )

    assert too_big.context["form"].errors == {
        "file": [
            "The file is 2.0 MB; the limit is 2 MB and 2 rows. Split it into smaller files "
            "and import each."
        ]
    }
    assert too_long.context["form"].errors == {
        "file": [
            "The file has 3 rows; the limit is 2 per file. Split it into smaller files and "
            "import each."
        ]
    }


def test_a_file_too_heavy_to_confirm_is_refused_at_the_preview(
    client, frozen_clock, downtown, max, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 5000
    client.force_login(max)

    response = upload(
        client, "First name,Email\n" + "".join(f"Person {n},p{n}@example.com\n" for n in range(300))
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "file": ["This file holds too much text to import at once: split it."]
    }


def test_the_template_downloads_with_its_example(client, frozen_clock, downtown, max):
    client.force_login(max)

    csv_file = client.get(reverse("members:import_template_csv"))
    xlsx_file = client.get(reverse("members:import_template_xlsx"))

    assert csv_file["Content-Disposition"] == 'attachment; filename="members-import.csv"'
    assert csv_file.content.decode().splitlines() == [
        "First name,Last name,Email,Phone,Birth date,Card,SMS consent,Email consent",
        "Anna,de Wit,anna.dewit@example.com,06 12345678,1990-04-17,04A1B2C3,yes,yes",
        "Jan,van Vliet,,+31 6 87654321,03-11-1985,,no,",
    ]
    book = openpyxl.load_workbook(io.BytesIO(xlsx_file.content))
    assert next(book.active.values)[0] == "First name"
    # The template itself imports cleanly.
    preview = upload(client, csv_file.content, name="members-import.csv")
    assert [row[1] for row in rows(preview)] == ["new", "new"]


def test_the_members_menu_offers_import_to_managers_only(
    client, frozen_clock, downtown, max, fiona
):
    url = reverse("members:import")
    client.force_login(max)
    managers_home = client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(fiona)
    desks_home = client.get(reverse("wagtailadmin_home")).content.decode()

    assert url in managers_home and url not in desks_home


def test_the_page_explains_the_file_and_offers_the_templates(client, frozen_clock, downtown, max):
    client.force_login(max)

    html = client.get(reverse("members:import")).content.decode()

    assert reverse("members:import_template_csv") in html
    assert reverse("members:import_template_xlsx") in html
    assert "Nothing is written before you confirm." in html
    assert "Home club</td>" not in html  # one club: no column to choose it


# --- row numbers and shared phones ---------------------------------------------------------


def test_rows_are_numbered_as_the_spreadsheet_shows_them_blank_lines_included(
    client, frozen_clock, downtown, max
):
    # given a CSV with blank lines, a line of empty cells and a note over two lines
    content = (
        "First name;Email;Notes\n"
        "\n"
        "Ada;ada@example.com;\n"
        ";;\n"
        "Ben;ben@;\n"
        "\n"
        'Cas;cas@example.com;"first line\nsecond line"\n'
        "Dee;dee@;\n"
    )
    client.force_login(max)

    # when
    preview = upload(client, content)

    # then each row and its error carry the spreadsheet's number
    assert rows(preview) == [
        (3, "new", []),
        (5, "error", [("Email", "“ben@” is not an email address.")]),
        (7, "new", []),
        (8, "error", [("Email", "“dee@” is not an email address.")]),
    ]


def test_an_xlsx_file_s_empty_rows_count_too(client, frozen_clock, downtown, max):
    # given
    book = openpyxl.Workbook()
    sheet = book.active
    for values in (["First name", "Email"], [], ["Ada", "ada@"], [None, None], ["Ben", "ben@"]):
        sheet.append(values)
    content = io.BytesIO()
    book.save(content)
    client.force_login(max)

    # when
    preview = upload(client, content.getvalue(), name="members.xlsx")

    # then
    assert [(number, outcome) for number, outcome, _ in rows(preview)] == [
        (3, "error"),
        (5, "error"),
    ]


def test_an_uneven_row_after_blank_lines_is_still_refused(client, frozen_clock, downtown, max):
    client.force_login(max)

    response = upload(client, "First name,Email\n\nAda,a@example.com\n\nBen,b@example.com,x\n")

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "file": ["This CSV file cannot be read: every row must have as many cells as the headings."]
    }
    assert not imported()


def test_people_imported_with_a_phone_another_member_has_get_the_same_phone_note(
    client, known, maya, max
):
    # given Nina, new, and Lotte (known by email, no phone yet) with Maya's phone, and Ugo
    # with a phone nobody has
    content = (
        "First name;Last name;Email;Phone\n"
        "Nina;Noor;nina@example.com;06 12345678\n"
        "Lotte;Lead;lotte@example.com;+31 6 12345678\n"
        "Ugo;Uno;ugo@example.com;06 11113333\n"
    )
    client.force_login(max)
    preview = upload(client, content)
    assert [row[:2] for row in rows(preview)] == [(2, "new"), (3, "update"), (4, "new")]

    # when
    confirm(client, preview)

    # then Nina and Lotte are noted as a lead at the desk would be, pointing at Maya (and at
    # each other: they share it now); Ugo and Maya are not
    nina = Member.objects.get(email="nina@example.com")
    notes = {
        event.member_id: event.data
        for event in MemberEvent.objects.filter(kind=MemberEvent.Kind.SAME_PHONE)
    }
    assert notes == {
        nina.pk: {"same_phone_as": [maya.pk, known.pk], "more": False},
        known.pk: {"same_phone_as": [maya.pk, nina.pk], "more": False},
    }
    # and the card reads them as the lead's note does
    [note] = MemberEvent.objects.filter(member=nina, kind=MemberEvent.Kind.SAME_PHONE)
    assert "Maya" in leads.same_phone_texts([note], member=nina)[note.pk]

    # and a second run adds no second note
    confirm(client, upload(client, content))
    assert MemberEvent.objects.filter(kind=MemberEvent.Kind.SAME_PHONE).count() == 2


# --- an email that is another member's under another name ----------------------------------


@pytest.fixture
def ann(frozen_clock, downtown):
    """Ann Empty, a Downtown lead with only her email."""
    return MemberFactory(
        home_club=downtown,
        first_name="Ann",
        last_name="Empty",
        email="ann.empty.qa@example.com",
        phone="",
        birth_date=None,
        card_token=None,
        sms_consent=False,
        email_consent=False,
    )


def test_a_stranger_with_a_member_s_email_is_an_error_row_and_writes_nothing_on_her(
    client, ann, max
):
    # given Bob, whose row gives Ann's email (another case) with his own phone and consent
    client.force_login(max)
    preview = upload(
        client,
        "First name;Last name;Email;Phone;Birth date;SMS consent;Email consent\n"
        "Bob;Other;Ann.Empty.QA@example.com;0612121213;1970-01-01;yes;yes\n"
        "Cleo;Clean;cleo@example.com;;;;\n",
    )

    # when
    confirm(client, preview)

    # then the row is refused naming Ann as the desk does, and nothing of it is written
    assert rows(preview) == [
        (
            2,
            "error",
            [
                (
                    "Email",
                    "This email belongs to Ann E… under another name: correct the email, or "
                    "leave it out to import this person by phone or card.",
                )
            ],
        ),
        (3, "new", []),
    ]
    assert "Already here" not in preview.content.decode()
    ann.refresh_from_db()
    assert (ann.phone, ann.birth_date, ann.sms_consent, ann.email_consent) == (
        "",
        None,
        False,
        False,
    )
    assert not ConsentLog.objects.exists()
    assert list(ann.events.values_list("kind", flat=True)) == []
    assert [m[0] for m in imported()] == ["Cleo"]


def test_the_same_email_under_the_same_name_folded_is_still_her(client, ann, max):
    # given Ann's own row, her name typed in capitals without the space the record has
    client.force_login(max)
    preview = upload(
        client, "First name;Last name;Email;Phone\nANN;empty;ann.empty.qa@example.com;0612121213\n"
    )

    # when
    confirm(client, preview)

    # then
    [row] = preview.context["preview"].rows
    assert (row.outcome, row.member, row.adds) == ("update", ann, ["phone"])
    ann.refresh_from_db()
    assert str(ann.phone) == "+31612121213"


def test_a_household_s_shared_email_goes_to_whoever_bears_the_name(client, ann, downtown, max):
    # given Ann and Omar sharing one inbox: Omar's row is Omar, not a stranger to Ann
    omar = MemberFactory(
        home_club=downtown, first_name="Omar", last_name="Empty", email=ann.email, phone=""
    )
    client.force_login(max)

    preview = upload(client, "First name;Last name;Email;Phone\nOmar;Empty;" + ann.email + ";\n")

    [row] = preview.context["preview"].rows
    assert (row.outcome, row.member) == ("unchanged", omar)


@pytest.mark.parametrize("stranger_first", [False, True], ids=["after", "before"])
def test_a_row_with_a_member_s_email_under_another_name_is_not_the_same_member(
    client, frozen_clock, downtown, max, stranger_first
):
    # given Mei here, her own row in the file, and Zed's row with her email
    mei = MemberFactory(home_club=downtown, first_name="Mei", last_name="Ma", phone="")
    own = f"Mei;Ma;{mei.email};0611112222"
    zed = f"Zed;Zulu;{mei.email};"
    lines = [zed, own] if stranger_first else [own, zed]
    client.force_login(max)

    # when
    preview = upload(client, "First name;Last name;Email;Phone\n" + "\n".join(lines) + "\n")
    confirm(client, preview)

    # then Zed's row is refused as a stranger's, not merged into Mei's, and Mei's row stands
    outcomes = {r.name: (r.outcome, r.errors) for r in preview.context["preview"].rows}
    assert outcomes == {
        "Mei Ma": ("update", []),
        "Zed Zulu": (
            "error",
            [
                (
                    "Email",
                    "This email belongs to Mei M… under another name: correct the email, or "
                    "leave it out to import this person by phone or card.",
                )
            ],
        ),
    }
    mei.refresh_from_db()
    assert (str(mei.phone), mei.first_name) == ("+31611112222", "Mei")
    assert not imported()


def test_an_email_given_to_a_member_after_the_preview_is_refused_on_confirming(
    client, frozen_clock, downtown, max
):
    # given a preview in which Bob's email was nobody's
    client.force_login(max)
    preview = upload(
        client,
        "First name;Email;Phone;SMS consent\nBob;ann.empty.qa@example.com;0612121213;yes\n",
    )
    assert rows(preview) == [(2, "new", [])]
    # and Ann registered with it at the desk meanwhile
    ann = MemberFactory(
        home_club=downtown,
        first_name="Ann",
        email="ann.empty.qa@example.com",
        phone="",
        sms_consent=False,
    )

    # when
    confirm(client, preview)

    # then Bob is not imported, nor put on Ann
    assert not imported()
    ann.refresh_from_db()
    assert (ann.phone, ann.sms_consent) == ("", False)
    assert not ann.events.exists()


# --- consent for a channel with no address -------------------------------------------------


def test_consent_to_a_channel_with_no_address_is_an_error_row(client, ann, max):
    # given a yes to texts without a phone, a yes to emails without an email, and Ann, known
    # by her email, saying yes to texts with no phone in the file nor on her record
    client.force_login(max)
    preview = upload(
        client,
        "First name;Last name;Email;Phone;SMS consent;Email consent\n"
        "Sam;Sms;sam@example.com;;yes;yes\n"
        "Eve;Mail;;0612121213;yes;yes\n"
        "Ann;Empty;ann.empty.qa@example.com;;yes;yes\n",
    )

    # when
    confirm(client, preview)

    # then the desk's words, and nothing written for those rows
    assert rows(preview) == [
        (2, "error", [("SMS consent", "SMS consent needs a phone number.")]),
        (3, "error", [("Email consent", "Email consent needs an email address.")]),
        (4, "error", [("SMS consent", "SMS consent needs a phone number.")]),
    ]
    assert not imported()
    assert not ConsentLog.objects.exists()


def test_consent_to_texts_for_a_landline_is_an_error_row(client, max):
    client.force_login(max)
    preview = upload(
        client,
        "First name;Last name;Phone;SMS consent\n"
        "Lars;Landline;020 123 4567;yes\n"
        "Mo;Mobile;06 1212 1215;yes\n",
    )

    assert rows(preview)[0] == (
        2,
        "error",
        [
            (
                "SMS consent",
                "SMS consent needs a mobile number: this is a landline, which texts do not reach.",
            )
        ],
    )
    assert rows(preview)[1][:2] == (3, "new")


def test_consent_is_taken_where_the_file_or_the_record_has_the_address(
    client, frozen_clock, downtown, max
):
    # given Pia, whose record has her phone, saying yes to texts with no phone in the file
    pia = MemberFactory(
        home_club=downtown,
        first_name="Pia",
        last_name="Phone",
        email="pia@example.com",
        phone="+31612121214",
        sms_consent=False,
        email_consent=False,
    )
    client.force_login(max)
    preview = upload(
        client,
        "First name;Last name;Email;Phone;SMS consent;Email consent\n"
        "Pia;Phone;pia@example.com;;yes;no\n"
        "Nora;New;nora@example.com;06 12121213;yes;yes\n",
    )

    # when
    confirm(client, preview)

    # then
    assert [row[:2] for row in rows(preview)] == [(2, "update"), (3, "new")]
    pia.refresh_from_db()
    assert (pia.sms_consent, pia.email_consent) == (True, False)
    assert [(m[0], m[8], m[9]) for m in imported()] == [("Nora", True, True)]


# --- whitespace and control characters -----------------------------------------------------


def test_tabs_line_breaks_and_runs_of_spaces_are_tidied_before_checking_and_saving(
    client, frozen_clock, downtown, max
):
    # given cells with a tab, a line break inside quotes, runs of spaces and a bell character
    client.force_login(max)
    content = (
        "First name,Last name,Email,Phone\n"
        'Tab\tChar,"Multi\nLine",\t tab@example.com ,06  1212\t1213\n'
        "  Lots   of ,\x07 space ,lots@example.com,\n"
    )

    # when
    preview = upload(client, content)
    confirm(client, preview)

    # then the preview shows what is saved
    assert [(r.name, r.values["email"]) for r in preview.context["preview"].rows] == [
        ("Tab Char Multi Line", "tab@example.com"),
        ("Lots of space", "lots@example.com"),
    ]
    assert [m[:4] for m in imported()] == [
        ("Lots of", "space", "lots@example.com", ""),
        ("Tab Char", "Multi Line", "tab@example.com", "+31612121213"),
    ]


def test_a_name_of_only_whitespace_and_control_characters_is_no_name(
    client, frozen_clock, downtown, max
):
    # given first names that are a bell and a tab, and a line break inside quotes
    client.force_login(max)
    content = 'First name,Email\n\x07\t,a@example.com\n"\n",b@example.com\n'

    # when
    preview = upload(client, content)
    confirm(client, preview)

    # then
    assert rows(preview) == [
        (2, "error", [("First name", "Required.")]),
        (3, "error", [("First name", "Required.")]),
    ]
    assert not imported()


# --- lines of separators alone ------------------------------------------------------------


@pytest.mark.parametrize(
    "separators",
    [";;;;", ";", ";;;;;;;;;;", ",,,", "\t;\t;", " ; ; "],
    ids=["fewer", "one", "more", "commas", "tabs", "spaced"],
)
def test_a_line_of_separators_alone_is_a_blank_line(
    client, frozen_clock, downtown, max, separators
):
    # given a semicolon file with a line of only separators, however many and whichever
    client.force_login(max)
    content = (
        "First name;Last name;Email;Phone;SMS consent\n"
        "Ada;Ant;ada@example.com;;\n"
        f"{separators}\n"
        "Ben;Bee;ben@;;\n"
    )

    # when
    preview = upload(client, content)

    # then it is skipped as a blank line, and the rows after it keep their numbers
    assert rows(preview) == [
        (2, "new", []),
        (4, "error", [("Email", "“ben@” is not an email address.")]),
    ]


def test_semicolons_alone_in_a_comma_file_are_a_blank_line(client, frozen_clock, downtown, max):
    client.force_login(max)

    preview = upload(client, "First name,Email\n;;;;\nAda,ada@example.com\n")

    assert rows(preview) == [(3, "new", [])]


@pytest.mark.parametrize(
    "line",
    ["Ada;ada@example.com;;;;", ";;;;x"],
    ids=["a row with too many cells", "a cell after the separators"],
)
def test_a_line_with_something_besides_separators_is_still_a_row(
    client, frozen_clock, downtown, max, line
):
    # given a two-column file whose line has a value among more separators than headings
    client.force_login(max)

    response = upload(client, f"First name;Email\nBo;bo@example.com\n{line}\n")

    # then it is not taken for a blank line: the file is uneven, as before
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "file": ["This CSV file cannot be read: every row must have as many cells as the headings."]
    }
    assert not imported()


# --- birth dates: the back-office forms' rule (members.models.birth_date_problem) ----------


def test_a_birth_date_in_the_future_or_over_120_years_ago_is_an_error_row(
    client, frozen_clock, downtown, max
):
    client.force_login(max)
    content = (
        "First name;Email;Birth date\n"
        "Ada;ada@example.com;01-01-1906\n"
        "Ben;ben@example.com;24-11-2026\n"
        "Cas;cas@example.com;1800-01-01\n"
    )

    preview = upload(client, content)

    assert rows(preview) == [
        (2, "new", []),
        (3, "error", [("Birth date", "24-11-2026 is in the future.")]),
        (4, "error", [("Birth date", "01-01-1800 is more than 120 years ago.")]),
    ]
