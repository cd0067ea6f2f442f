//! "Wrong number" replies: the number does not belong to the lead (any more), so whatever
//! consent was recorded for it was not given by the person who has it now.
//!
//! A phrase of `data/wrong_number.txt` (`wrong number`, `you've got the wrong person`,
//! `número equivocado`, `falsch verbunden`, `打错了`, …) counts unless
//!
//! * the writer made the mistake: `I gave you the wrong number`, `I dialed the wrong number`,
//!   `我打错字了` (the writer, then maybe a verb of giving or dialling and the person given to,
//!   right before the phrase);
//! * a negation comes before it in its clause: `I'm not sure it's the wrong number`;
//! * it names another number: `the wrong number of seats`, `número equivocado de la factura`.

use super::OptOutConfig;
use super::grammar::{Step, look_back, match_pat};
use super::lexicon::class;
use super::normalize::Normalized;

/// The token range of a wrong-number reply in `n`, if it has one.
pub(crate) fn find_wrong_number(n: &Normalized<'_>, cfg: &OptOutConfig) -> Option<(usize, usize)> {
    let lex = n.lex();
    let mut clause_start = 0;
    let mut clause_end = 0;
    for i in 0..n.len() {
        if i >= clause_end {
            clause_start = i;
            clause_end = n.clause_end(i);
        }
        let Some(entry) = n.entry(i) else { continue };
        for &k in &entry.wrong {
            let Some(p) = lex.wrong.get(usize::from(k)) else {
                continue;
            };
            if p.translated && !cfg.translations {
                continue;
            }
            let Some(e) = match_pat(&p.slots, n, i, clause_end, false) else {
                continue;
            };
            if (e < clause_end && n.is(e, class::WN_FOLLOW))
                || negation_before(n, clause_start, i)
                || writers_mistake(n, clause_start, i)
            {
                continue;
            }
            return Some((i, e));
        }
    }
    None
}

/// A negation earlier in the clause (`no` aside: `No you have the wrong number`).
fn negation_before(n: &Normalized<'_>, clause_start: usize, pos: usize) -> bool {
    (clause_start..pos).any(|k| n.is(k, class::NEGATOR) && n.word(k) != "no")
}

/// The writer is who got the number wrong: looking back from the phrase over articles and
/// auxiliaries, the writer comes before anybody else, maybe through a verb of giving or
/// dialling (`I gave you the`, `I dialed the`, `我`).
fn writers_mistake(n: &Normalized<'_>, clause_start: usize, pos: usize) -> bool {
    look_back(clause_start, pos, 6, |k| {
        if n.is(k, class::WRITER) {
            Step::Stop(true)
        } else if n.is(k, class::ADDRESSEE) {
            // `you have the wrong number`; but `gave you the wrong number` goes on.
            let given = k > clause_start && n.is(k - 1, class::ERR_VERB);
            if given { Step::Skip } else { Step::Stop(false) }
        } else if n.is(k, class::ERR_VERB) || n.is(k, class::WN_SKIP) {
            Step::Skip
        } else {
            Step::Stop(false)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wrong(s: &str) -> Option<String> {
        let n = Normalized::new(s);
        find_wrong_number(&n, &OptOutConfig::default()).map(|(a, b)| n.span(a, b).to_owned())
    }

    #[test]
    fn whose_mistake() {
        assert_eq!(
            wrong("you have the wrong number").as_deref(),
            Some("wrong number")
        );
        assert_eq!(
            wrong("I think you have the wrong person").as_deref(),
            Some("wrong person")
        );
        assert_eq!(wrong("I gave you the wrong number"), None);
        assert_eq!(wrong("I dialed the wrong number"), None);
        assert_eq!(wrong("im not sure its the wrong number"), None);
        assert_eq!(wrong("the wrong number of seats"), None);
        assert_eq!(wrong("你打错了").as_deref(), Some("打错了"));
        assert_eq!(wrong("我打错了"), None);
    }

    #[test]
    fn translations_can_be_off() {
        let n = Normalized::new("Número equivocado");
        let off = OptOutConfig::default().with_builtin_translations(false);
        assert_eq!(find_wrong_number(&n, &off), None);
        assert!(find_wrong_number(&n, &OptOutConfig::default()).is_some());
    }
}
