//! `out_of_office_return`: the day an out-of-office reply says the person is back, in every
//! language of the opt-out corpus, and that it never panics.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use gate::opt_out::out_of_office_return;

/// Tuesday 24 November 2026, 09:00 UTC.
fn received() -> DateTime<Utc> {
    "2026-11-24T09:00:00Z".parse().unwrap_or_default()
}

/// 00:00 of `y-m-d` in `zone`, as UTC.
fn midnight(zone: Tz, y: i32, m: u32, d: u32) -> Option<DateTime<Utc>> {
    let day = NaiveDate::from_ymd_opt(y, m, d)?.and_hms_opt(0, 0, 0)?;
    zone.from_local_datetime(&day)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
}

/// The day the person is back: `(year, month, day)`.
type Ymd = (i32, u32, u32);

/// `(zone, text, back on y-m-d or None)`, all received at [`received`].
#[rustfmt::skip]
const TABLE: &[(Tz, &str, Option<Ymd>)] = &[
    // English, New York.
    (Tz::America__New_York, "I am out of the office until December 14.", Some((2026, 12, 14))),
    (Tz::America__New_York, "Out of office until 14 December", Some((2026, 12, 14))),
    (Tz::America__New_York, "I'm back on 14/12/2026", Some((2026, 12, 14))),
    (Tz::America__New_York, "Back on 12/14", Some((2026, 12, 14))),
    (Tz::America__New_York, "Returning Monday 14th", Some((2026, 12, 14))),
    (Tz::America__New_York, "I will return on 2026-12-14.", Some((2026, 12, 14))),
    (Tz::America__New_York, "Back on December 14th, 2026 at 9am", Some((2026, 12, 14))),
    (Tz::America__New_York, "I'm away from the office until Monday, December 14.", Some((2026, 12, 14))),
    (Tz::America__New_York, "Thanks for your email. I will be back in the office on Monday, 14 December and will reply then.", Some((2026, 12, 14))),
    (Tz::America__New_York, "I'm away. Back Monday", Some((2026, 11, 30))),
    (Tz::America__New_York, "Out today, back tomorrow", Some((2026, 11, 25))),
    (Tz::America__New_York, "On vacation until Tuesday", Some((2026, 12, 1))),
    (Tz::America__New_York, "I'm out of the office through Friday", Some((2026, 11, 28))),
    (Tz::America__New_York, "I'm back on the 3rd", Some((2026, 12, 3))),
    (Tz::America__New_York, "OOO Dec 1-14", Some((2026, 12, 15))),
    (Tz::America__New_York, "Out of office 1-14 December", Some((2026, 12, 15))),
    (Tz::America__New_York, "I'm on leave until January 5", Some((2027, 1, 5))),
    // Month-first only for US English; a reading within 120 days wins.
    (Tz::America__New_York, "Back 12/1", Some((2026, 12, 1))),
    (Tz::Europe__London, "Back 12/1", Some((2027, 1, 12))),
    (Tz::Europe__London, "Back 3/4", Some((2027, 3, 4))),
    // No date, a time, a stale or past date, an impossible date.
    (Tz::America__New_York, "I'm out of the office with limited access to email.", None),
    (Tz::America__New_York, "Out until further notice", None),
    (Tz::America__New_York, "I'm out until 5pm today", None),
    (Tz::America__New_York, "I am out until November 20", None),
    (Tz::America__New_York, "I am out until November 24", None),
    (Tz::America__New_York, "Back on 14/12/2025", None),
    (Tz::America__New_York, "Back on 31/11", None),
    (Tz::America__New_York, "Call me back on 555 123 4567", None),
    (Tz::America__New_York, "Back in 2 weeks", None),
    // Spanish, Madrid.
    (Tz::Europe__Madrid, "Estoy fuera de la oficina hasta el 14 de diciembre.", Some((2026, 12, 14))),
    (Tz::Europe__Madrid, "Regreso el lunes 14 de diciembre", Some((2026, 12, 14))),
    (Tz::Europe__Madrid, "Estaré de vuelta el 14/12", Some((2026, 12, 14))),
    (Tz::Europe__Madrid, "De vacaciones hasta mañana", Some((2026, 11, 25))),
    (Tz::Europe__Madrid, "Estoy de vacaciones hasta el 3/12", Some((2026, 12, 3))),
    // French, Paris.
    (Tz::Europe__Paris, "Je suis absent du bureau jusqu'au 14 décembre inclus.", Some((2026, 12, 15))),
    (Tz::Europe__Paris, "De retour le lundi 14 décembre.", Some((2026, 12, 14))),
    (Tz::Europe__Paris, "Absente jusqu’au 14/12", Some((2026, 12, 14))),
    // German, Berlin.
    (Tz::Europe__Berlin, "Ich bin bis zum 14.12.2026 nicht im Büro.", Some((2026, 12, 14))),
    (Tz::Europe__Berlin, "Ab dem 14. Dezember bin ich wieder erreichbar.", Some((2026, 12, 14))),
    (Tz::Europe__Berlin, "Ich bin bis einschließlich 13.12. abwesend", Some((2026, 12, 14))),
    (Tz::Europe__Berlin, "Ab 1.12. bin ich im Urlaub.", None),
    (Tz::Europe__Berlin, "Ich bin bis 10.11 Uhr in einem Termin", None),
    // Portuguese, São Paulo.
    (Tz::America__Sao_Paulo, "Resposta automática: estou de férias até 14/12.", Some((2026, 12, 14))),
    (Tz::America__Sao_Paulo, "Volto no dia 14 de dezembro", Some((2026, 12, 14))),
    // Italian, Rome.
    (Tz::Europe__Rome, "Sono fuori ufficio fino al 14 dicembre.", Some((2026, 12, 14))),
    (Tz::Europe__Rome, "Rientro lunedì 14 dicembre", Some((2026, 12, 14))),
    // Dutch, Amsterdam.
    (Tz::Europe__Amsterdam, "Ik ben afwezig tot en met 13 december.", Some((2026, 12, 14))),
    (Tz::Europe__Amsterdam, "Vanaf maandag 14 december ben ik weer aanwezig.", Some((2026, 12, 14))),
    (Tz::Europe__Amsterdam, "Ik ben terug op 14 december", Some((2026, 12, 14))),
    // Swedish, Stockholm.
    (Tz::Europe__Stockholm, "Jag är tillbaka 14 december", Some((2026, 12, 14))),
    // Russian, Moscow.
    (Tz::Europe__Moscow, "Автоответ: я в отпуске до 14 декабря.", Some((2026, 12, 14))),
    // Japanese, Tokyo; Chinese, Shanghai.
    (Tz::Asia__Tokyo, "12月14日まで不在です。", Some((2026, 12, 14))),
    (Tz::Asia__Shanghai, "自动回复：我休假至12月14日。", Some((2026, 12, 14))),
    (Tz::Asia__Shanghai, "我将于2026年12月14日返回。", Some((2026, 12, 14))),
];

#[test]
fn return_dates_in_every_language() {
    let mut failures = Vec::new();
    for &(zone, text, want) in TABLE {
        let want = want.and_then(|(y, m, d)| midnight(zone, y, m, d));
        let got = out_of_office_return(text, received(), zone);
        if got != want {
            failures.push(format!("{zone} {text:?}: want {want:?}, got {got:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {}:\n{}",
        failures.len(),
        TABLE.len(),
        failures.join("\n")
    );
}

#[test]
fn a_yearless_date_is_the_next_one() {
    let zone = Tz::Europe__Paris;
    let dec_20: DateTime<Utc> = "2026-12-20T10:00:00Z".parse().unwrap_or_default();
    assert_eq!(
        out_of_office_return("Back on January 5", dec_20, zone),
        midnight(zone, 2027, 1, 5)
    );
    // Back the day it was received: nothing to move.
    assert_eq!(
        out_of_office_return("Back on 20 December", dec_20, zone),
        None
    );
}

#[test]
fn the_day_is_the_zones() {
    // 23:30 on the 13th in New York is the 14th in UTC: "back on the 14th" is still ahead.
    let late: DateTime<Utc> = "2026-12-14T04:30:00Z".parse().unwrap_or_default();
    assert_eq!(
        out_of_office_return("Back on December 14", late, Tz::America__New_York),
        midnight(Tz::America__New_York, 2026, 12, 14)
    );
    assert_eq!(
        out_of_office_return("Back on December 14", late, Tz::UTC),
        None
    );
}

mod properties {
    use chrono::{DateTime, Timelike, Utc};
    use chrono_tz::TZ_VARIANTS;
    use gate::opt_out::out_of_office_return;
    use proptest::prelude::*;

    /// Date words and numbers mixed with noise, so that the generator reaches the parser.
    fn datey() -> impl Strategy<Value = String> {
        let words = prop::sample::select(vec![
            "until",
            "back",
            "on",
            "through",
            "from",
            "again",
            "Monday",
            "Dec",
            "December",
            "14",
            "14th",
            "1",
            "12",
            "2026",
            "26",
            "/",
            ".",
            "-",
            ",",
            ":",
            "the",
            "of",
            "de",
            "bis",
            "zum",
            "wieder",
            "ab",
            "jusqu'au",
            "inclus",
            "tomorrow",
            "年",
            "月",
            "日",
            "まで",
            "至",
            "31",
            "29",
            "2",
            "0",
            "99999999999",
            "pm",
            "\n",
            "tot",
            "en",
            "met",
        ]);
        prop::collection::vec(
            prop_oneof![words.prop_map(str::to_owned), "\\PC{0,4}"],
            0..20,
        )
        .prop_map(|w| w.join(" "))
    }

    fn instant() -> impl Strategy<Value = DateTime<Utc>> {
        prop_oneof![
            (-62_000_000_000i64..250_000_000_000i64)
                .prop_map(|s| DateTime::from_timestamp(s, 0).unwrap_or_default()),
            Just(DateTime::<Utc>::MIN_UTC),
            Just(DateTime::<Utc>::MAX_UTC),
        ]
    }

    proptest! {
        #[test]
        fn never_panics_and_is_a_future_midnight(
            text in prop_oneof![datey(), any::<String>()],
            at in instant(),
            zone in prop::sample::select(TZ_VARIANTS.to_vec()),
        ) {
            if let Some(back) = out_of_office_return(&text, at, zone) {
                prop_assert!(back > at, "{back} not after {at}");
                let local = back.with_timezone(&zone);
                // Midnight, or the first hour after a DST gap that swallowed it.
                prop_assert!(local.hour() <= 3 && local.minute() == 0, "{local}");
            }
        }
    }

    #[test]
    fn every_zone_reads_its_own_midnight() {
        let at: DateTime<Utc> = "2026-11-24T09:00:00Z".parse().unwrap_or_default();
        for zone in TZ_VARIANTS {
            assert_eq!(
                out_of_office_return("until 14 December", at, zone),
                super::midnight(zone, 2026, 12, 14),
                "{zone}"
            );
        }
    }
}
