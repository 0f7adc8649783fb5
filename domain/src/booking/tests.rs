use super::*;
use crate::*;

#[test]
fn hidden_characters_are_refused_at_their_field() {
    for bad in [
        "Ann\u{0}",
        "Ann\r\nBcc: x",
        "\u{202E}nnA",
        "A\u{2066}b",
        "tab\there",
    ] {
        assert!(
            matches!(
                check_name(bad),
                Err(Violation::HiddenCharacters { field: Field::Name })
            ),
            "{bad:?}"
        );
        assert!(
            check_required(Field::Customer, bad, "a name", 100).is_err(),
            "{bad:?}"
        );
    }
    // Line breaks belong in multi-line fields; NUL and overrides never do.
    assert!(check_cancel_reason("Site closed.\nKeys returned.").is_ok());
    assert!(check_cancel_reason("Closed\u{0}").is_err());
    assert!(check_cancel_reason("\u{202E}desolc").is_err());
    assert!(check_email("ann@exa\u{202E}mple.com").is_err());
    assert!(check_location(Some("1 High St\n2"), None, None).is_err());
    assert!(check_name("Zoë's café — night patrol").is_ok());
}

/// Daily at 22:00 for an hour, from `first` to `last`.
fn when(first: &str, last: &str) -> ValidWhen {
    ValidWhen {
        first_date: first.parse().expect("first"),
        last_date: last.parse().expect("last"),
        repeat: Repeat::Daily,
        start_time: NaiveTime::from_hms_opt(22, 0, 0).expect("time"),
        window_minutes: 60,
    }
}

#[test]
fn dates_run_from_yesterday_to_five_years_ahead() {
    let today = NaiveDate::from_ymd_opt(2026, 11, 27).expect("date");
    assert!(check_date_range(&when("2026-11-26", "2031-11-27"), today).is_ok());
    let errors = check_date_range(&when("2026-11-25", "2031-11-28"), today).expect_err("both ends");
    assert!(
        errors
            .get(Field::FirstDate)
            .is_some_and(|m| m.contains("has passed"))
    );
    assert!(
        errors
            .get(Field::LastDate)
            .is_some_and(|m| m.contains("5 years") && m.contains("2031-11-27"))
    );
    // chrono reads years past 9999 with a sign: refused at the field, never expanded.
    let far = when("2026-12-01", "+262142-12-31");
    assert!(check_date_range(&far, today).is_err());
}

#[test]
fn the_date_range_holds_across_a_year_end_and_from_a_leap_day() {
    let day = |s: &str| s.parse::<NaiveDate>().expect("date");
    // Five years from a leap day end on the 28th: that year has no 29 February.
    assert_eq!(latest_date(day("2028-02-29")), day("2033-02-28"));
    assert_eq!(latest_date(day("2026-12-31")), day("2031-12-31"));
    assert_eq!(latest_date(day("2027-02-28")), day("2032-02-28"));
    // Yesterday across the year's end, and the leap day itself as yesterday.
    assert!(check_date_range(&when("2026-12-31", "2027-01-31"), day("2027-01-01")).is_ok());
    assert!(check_date_range(&when("2026-12-30", "2027-01-31"), day("2027-01-01")).is_err());
    assert!(check_date_range(&when("2028-02-29", "2033-02-28"), day("2028-03-01")).is_ok());
    assert!(check_date_range(&when("2028-02-29", "2033-03-01"), day("2028-02-29")).is_err());
}

fn good_draft() -> BookingDraft {
    BookingDraft {
        idempotency_key: "k1".into(),
        unlock_time: String::new(),
        customer_id: None,
        service_type: Some(ServiceType::Patrol),
        name: " Warehouse night patrol ".into(),
        special_instructions: "Check the loading-bay shutters".into(),
        number_of_guards: "2".into(),
        armed_preference: ArmedPreference::Unarmed,
        contacts: vec![
            ContactDraft {
                name: "Site manager".into(),
                mobile: "+44 7700 900123".into(),
            },
            ContactDraft::default(),
        ],
        site_id: None,
        address: "1 Example Street, London".into(),
        latitude: "51.5072".into(),
        longitude: "-0.1276".into(),
        timezone: "Europe/London".into(),
        first_date: "2026-12-01".into(),
        last_date: "2026-12-31".into(),
        repeat: RepeatKind::Weekly,
        days: vec![Weekday::Fri, Weekday::Mon],
        start_time: "22:00".into(),
        window_minutes: "90".into(),
    }
}

#[test]
fn a_complete_draft_is_valid_and_normalised() {
    let v = validate_draft(&good_draft(), &ServiceType::ALL).expect("valid");
    assert_eq!(v.name, "Warehouse night patrol");
    assert_eq!(
        v.when.repeat,
        Repeat::Weekly(vec![Weekday::Mon, Weekday::Fri])
    );
    assert_eq!(v.contacts.len(), 1, "the empty contact row is ignored");
    assert_eq!(v.number_of_guards, 2);
    match v.place {
        Place::New { location, timezone } => {
            assert_eq!(location.coordinates, Some((51.5072, -0.1276)));
            assert_eq!(timezone, "Europe/London");
        }
        other => panic!("unexpected place {other:?}"),
    }
}

#[test]
fn every_problem_is_reported_against_its_field() {
    let draft = BookingDraft {
        service_type: Some(ServiceType::Guarding),
        name: "   ".into(),
        number_of_guards: "0".into(),
        armed_preference: ArmedPreference::Armed,
        contacts: vec![ContactDraft {
            name: "".into(),
            mobile: "12".into(),
        }],
        address: "".into(),
        latitude: "".into(),
        longitude: "".into(),
        timezone: "".into(),
        first_date: "2026-12-10".into(),
        last_date: "2026-12-01".into(),
        repeat: RepeatKind::Weekly,
        days: vec![],
        start_time: "25:00".into(),
        window_minutes: "1441".into(),
        ..good_draft()
    };
    let errors = validate_draft(&draft, &[ServiceType::Patrol]).expect_err("invalid");
    let expect = [
        (Field::ServiceType, "not enabled"),
        (Field::Name, "Give the booking a name."),
        (Field::NumberOfGuards, "At least one guard"),
        (Field::ContactName(0), "contact's name"),
        (Field::ContactMobile(0), "at least 7 digits"),
        (Field::Address, "address, coordinates, or both"),
        (Field::Timezone, "time zone"),
        (Field::LastDate, "cannot be before"),
        (Field::Days, "at least one day"),
        (Field::StartTime, "HH:MM"),
        (Field::WindowMinutes, "1 to 1440"),
    ];
    for (field, text) in expect {
        let got = errors
            .get(field)
            .unwrap_or_else(|| panic!("no error for {field:?}: {errors:?}"));
        assert!(got.contains(text), "{field:?}: {got}");
    }
    assert_eq!(errors.0.len(), expect.len());
}

#[test]
fn single_bookings_ignore_the_last_date() {
    let draft = BookingDraft {
        repeat: RepeatKind::Single,
        last_date: "".into(),
        days: vec![],
        ..good_draft()
    };
    let v = validate_draft(&draft, &ServiceType::ALL).expect("valid");
    assert_eq!(v.when.last_date, v.when.first_date);
    assert_eq!(v.when.repeat, Repeat::Single);
}

#[test]
fn saved_site_needs_no_location_fields() {
    let draft = BookingDraft {
        site_id: Some(7),
        address: "".into(),
        latitude: "".into(),
        longitude: "".into(),
        timezone: "".into(),
        ..good_draft()
    };
    assert_eq!(
        validate_draft(&draft, &ServiceType::ALL)
            .expect("valid")
            .place,
        Place::SavedSite(7)
    );
}

#[test]
fn location_rules() {
    assert_eq!(
        check_location(None, None, None),
        Err(Violation::LocationMissing)
    );
    assert_eq!(
        check_location(Some("  "), None, None),
        Err(Violation::LocationMissing)
    );
    assert_eq!(
        check_location(None, Some(1.0), None),
        Err(Violation::CoordinatesIncomplete)
    );
    assert_eq!(
        check_location(None, Some(91.0), Some(0.0)),
        Err(Violation::LatitudeInvalid)
    );
    assert_eq!(
        check_location(None, Some(0.0), Some(-180.5)),
        Err(Violation::LongitudeInvalid)
    );
    assert!(check_location(None, Some(0.0), Some(0.0)).is_ok());
    assert!(check_location(Some("1 High St"), None, None).is_ok());
}

#[test]
fn number_rules() {
    assert_eq!(check_guards(0), Err(Violation::GuardsBelowOne));
    assert_eq!(check_guards(1), Ok(1));
    assert_eq!(check_window(0), Err(Violation::WindowOutOfRange));
    assert_eq!(check_window(1), Ok(1));
    assert_eq!(check_window(1440), Ok(1440));
    assert_eq!(check_window(1441), Err(Violation::WindowOutOfRange));
    let d = BookingDraft {
        number_of_guards: "two".into(),
        window_minutes: "1.5".into(),
        ..good_draft()
    };
    let e = validate_draft(&d, &ServiceType::ALL).expect_err("invalid");
    assert_eq!(
        e.get(Field::NumberOfGuards),
        Some(Violation::GuardsNotANumber.message().as_str())
    );
    assert_eq!(
        e.get(Field::WindowMinutes),
        Some(Violation::WindowNotANumber.message().as_str())
    );
}

#[test]
fn mobile_rules() {
    assert!(check_mobile("+44 7700 900123").is_ok());
    assert!(check_mobile("(212) 555-0100").is_ok());
    assert!(check_mobile("555").is_err());
    assert!(check_mobile("call me").is_err());
    assert!(check_mobile("44+7700900123").is_err());
}

#[test]
fn start_time_accepts_browser_formats() {
    assert_eq!(
        parse_start_time("22:00"),
        Ok(NaiveTime::from_hms_opt(22, 0, 0).expect("time"))
    );
    assert_eq!(
        parse_start_time("07:05:00"),
        Ok(NaiveTime::from_hms_opt(7, 5, 0).expect("time"))
    );
    assert_eq!(parse_start_time("7pm"), Err(Violation::StartTimeInvalid));
}

#[test]
fn timing_enforces_the_lead_time_on_the_first_window() {
    use chrono_tz::Europe::London;
    let now = DateTime::parse_from_rfc3339("2026-12-01T21:56:00Z")
        .expect("rfc3339")
        .with_timezone(&Utc);
    let (date_from, date_to) = super::super::schedule::local_date_span(
        &London,
        NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
        NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
    );
    let at = |h, m| Schedule {
        date_from,
        date_to,
        repeat: Repeat::Single,
        start_time: NaiveTime::from_hms_opt(h, m, 0).expect("time"),
        window_minutes: 30,
    };
    // 4 minutes ahead: refused. Exactly 5: accepted.
    assert!(matches!(
        check_timing(&at(22, 0), &London, now),
        Err(Violation::TooSoon { .. })
    ));
    assert!(check_timing(&at(22, 1), &London, now).is_ok());
    // Already past.
    assert!(matches!(
        check_timing(&at(9, 0), &London, now),
        Err(Violation::TooSoon { .. })
    ));
    let never = Schedule {
        repeat: Repeat::Weekly(vec![Weekday::Sun]),
        ..at(23, 0)
    };
    assert_eq!(
        check_timing(&never, &London, now),
        Err(Violation::NoOccurrences)
    );
}

mod date_text_tests {
    use super::*;

    #[test]
    fn dates_and_times_are_read_strictly_and_written_as_the_forms_write_them() {
        let d = NaiveDate::from_ymd_opt(2027, 3, 8).expect("date");
        assert_eq!(
            parse_date(" 2027-03-08 ", Violation::StartTimeInvalid),
            Ok(d)
        );
        assert_eq!(iso_date(d), "2027-03-08");
        assert_eq!(
            parse_date("+262142-12-31", Violation::StartTimeInvalid),
            Ok(NaiveDate::from_ymd_opt(262_142, 12, 31).expect("date")),
            "read, for the date range to refuse"
        );
        for bad in [
            "2027-3-8",
            "2027-02-30",
            "1234567-01-01",
            "-2027-01-01",
            "27-03-08",
            "2027-03-08x",
            "2027/03/08",
            "２０２７-03-08",
            "",
        ] {
            assert!(
                parse_date(bad, Violation::StartTimeInvalid).is_err(),
                "{bad:?}"
            );
        }
        let t = NaiveTime::from_hms_opt(21, 30, 0).expect("time");
        assert_eq!(parse_start_time("21:30"), Ok(t));
        assert_eq!(parse_start_time("21:30:00"), Ok(t));
        assert_eq!(format_start_time(t), "21:30");
        for bad in [
            "9:30",
            "24:00",
            "21:60",
            "21:30:",
            "21:30:00:00",
            "21-30",
            "",
            "ab:cd",
        ] {
            assert_eq!(
                parse_start_time(bad),
                Err(Violation::StartTimeInvalid),
                "{bad:?}"
            );
        }
    }
}
