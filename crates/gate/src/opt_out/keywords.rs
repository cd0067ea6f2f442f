//! Keyword tables, the small phrase grammar and the text rules shared by every channel.
//!
//! Three rules look at a normalised text (see [`classify_text`]):
//!
//! 1. **Whole message** — after politeness words are stripped from both ends (`please`,
//!    `thanks`, `hi`, `ok`, `por favor`, `merci`, …) the text is nothing but keywords, maybe
//!    followed by one short code (`STOP 12345`) or one object word (`STOP ALL`, `stop it`).
//!    Letters typed apart (`s t o p`, `S.T.O.P`) are joined first.
//! 2. **Clause** — one clause of a longer message (text between `.`, `!`, `?`, `,`, `;`, `:`,
//!    line breaks) is a *strong* keyword on its own: `Stop. I never signed up for this`. Weak
//!    keywords (`END`, `QUIT`, `CANCEL`, `ALTO`, …) are ordinary words too and only count as
//!    the whole message: `Can we end the meeting early?` is not an opt-out.
//! 3. **Phrase** — an explicit request anywhere in a clause (`stop texting me`, `remove me from
//!    your list`, `do not contact me`, `unsubscribe`, `no longer wish to receive`, …) unless a
//!    negation governs it (`Don't unsubscribe me`, `I don't want you to stop texting me`) or,
//!    for the bare `unsubscribe`/`opt out`, its object is somebody else (`unsubscribe my
//!    colleague`). A conditional demand (`if you don't stop texting me …`) is not a negation.

use std::sync::LazyLock;

use super::OptOutConfig;
use super::normalize::Normalized;

/// One slot of a phrase pattern.
#[derive(Clone, Copy, Debug)]
pub(crate) enum S {
    /// Required: one of these words.
    R(&'static [&'static str]),
    /// Optional: one of these words, or nothing.
    O(&'static [&'static str]),
    /// Required negation: `dont`, `donot`, `never` or `do not`.
    Neg,
}

use S::{Neg, O, R};

/// What a keyword asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    OptOut,
    OptIn,
    Help,
}

#[derive(Clone, Copy, Debug)]
struct Kw {
    words: &'static [&'static str],
    kind: Kind,
    /// Strong opt-out keywords also count as a clause of a longer message.
    strong: bool,
    /// Only meaningful as a text-message keyword (`YES`, `START`, `HELP`): not used on email.
    sms_only: bool,
}

const fn out(words: &'static [&'static str], strong: bool) -> Kw {
    Kw {
        words,
        kind: Kind::OptOut,
        strong,
        sms_only: false,
    }
}
const fn opt_in(words: &'static [&'static str], sms_only: bool) -> Kw {
    Kw {
        words,
        kind: Kind::OptIn,
        strong: false,
        sms_only,
    }
}
const fn help(words: &'static [&'static str]) -> Kw {
    Kw {
        words,
        kind: Kind::Help,
        strong: false,
        sms_only: true,
    }
}

/// CTIA / FCC 24-18 keywords and the CTIA opt-in and help keywords (always on).
const CORE_KEYWORDS: &[Kw] = &[
    out(&["stop"], true),
    out(&["stopall"], true),
    out(&["stop", "all"], true),
    out(&["unsubscribe"], true),
    out(&["unsub"], true),
    out(&["optout"], true),
    out(&["opt", "out"], true),
    out(&["revoke"], true),
    out(&["cancel"], false),
    out(&["end"], false),
    out(&["quit"], false),
    out(&["remove"], false),
    out(&["no", "more"], false),
    opt_in(&["start"], true),
    opt_in(&["unstop"], false),
    opt_in(&["yes"], true),
    opt_in(&["subscribe"], false),
    opt_in(&["resubscribe"], false),
    opt_in(&["optin"], false),
    opt_in(&["opt", "in"], false),
    help(&["help"]),
    help(&["info"]),
];

/// Common translations (on unless the workspace turns them off).
const TRANSLATED_KEYWORDS: &[Kw] = &[
    // French
    out(&["arret"], true),
    out(&["arreter"], true),
    out(&["arrete"], true),
    out(&["arretez"], true),
    out(&["desabonner"], true),
    out(&["desinscrire"], true),
    out(&["desabonnement"], true),
    out(&["desinscription"], true),
    out(&["annuler"], false),
    out(&["fin"], false),
    // Spanish
    out(&["baja"], true),
    out(&["darme", "de", "baja"], true),
    out(&["dar", "de", "baja"], true),
    out(&["desinscribir"], true),
    out(&["desinscribirme"], true),
    out(&["desuscribir"], true),
    out(&["desuscribirme"], true),
    out(&["alto"], false),
    out(&["parar"], false),
    out(&["para"], false),
    out(&["pare"], false),
    out(&["detener"], false),
    out(&["no", "mas"], false),
    out(&["nomas"], false),
    out(&["cancelar"], false),
    out(&["basta"], false),
    // German, Dutch, Scandinavian
    out(&["stopp"], true),
    out(&["stoppen"], true),
    out(&["abmelden"], true),
    out(&["abbestellen"], true),
    out(&["austragen"], true),
    out(&["afmelden"], true),
    out(&["uitschrijven"], true),
    out(&["stoppa"], false),
    out(&["halt"], false),
    out(&["ende"], false),
    out(&["beenden"], false),
    // Portuguese, Italian
    out(&["descadastrar"], true),
    out(&["sair"], false),
    out(&["disiscrivimi"], true),
    out(&["cancellami"], true),
    // Russian, Chinese, Japanese
    out(&["стоп"], true),
    out(&["отписаться"], true),
    out(&["退订"], true),
    out(&["取消订阅"], true),
    out(&["配信停止"], true),
    help(&["ayuda"]),
    help(&["aide"]),
    help(&["hilfe"]),
    help(&["aiuto"]),
    help(&["ajuda"]),
    help(&["informacion"]),
];

/// Words that may follow a keyword (`STOP ALL`, `stop it`, `unsubscribe me`).
#[rustfmt::skip]
fn is_keyword_suffix(w: &str, strong: bool) -> bool {
    matches!(
        w,
        "all" | "me" | "us" | "messages" | "texts" | "msgs" | "sms" | "emails" | "calls"
    ) || (strong
        && matches!(
            w,
            "it" | "this"
                | "that" | "these" | "them" | "everything" | "now" | "notifications" | "alerts"
                | "subscription" | "text" | "message" | "msg"
        ))
}

/// A short code or reference after a keyword: `STOP 12345`, `STOP A7`. It has a digit, only
/// ASCII letters and digits, and at most 16 characters.
fn is_code(w: &str) -> bool {
    w.len() <= 16
        && w.bytes().any(|b| b.is_ascii_digit())
        && w.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Politeness at the start of a message; it never changes what the message asks.
#[rustfmt::skip]
const LEADING_POLITE: &[&[&str]] = &[
    &["please"], &["pls"], &["plz"], &["plse"], &["plez"], &["pleas"], &["kindly"], &["hi"],
    &["hey"], &["hello"], &["hiya"], &["yo"], &["ok"], &["okay"], &["k"], &["sorry"], &["just"],
    &["um"], &["uh"], &["umm"], &["yeah"], &["yea"], &["no"], &["nope"], &["nah"], &["again"],
    &["seriously"], &["and"], &["but"], &["so"], &["oh"], &["ugh"], &["omg"], &["lol"], &["now"],
    &["ps"], &["also"], &["guys"], &["sir"], &["maam"], &["madam"], &["mate"], &["dude"], &["bro"],
    &["thanks"], &["thank", "you"], &["thx"], &["dear"], &["good", "morning"],
    &["good", "afternoon"], &["good", "evening"],
    // es, pt, fr, de, it, nl
    &["por", "favor"], &["porfa"], &["porfavor"], &["favor"], &["hola"], &["gracias"], &["ya"],
    &["buenas"], &["buenos", "dias"], &["ola"], &["oi"], &["obrigado"], &["obrigada"], &["svp"],
    &["stp"], &["sil", "vous", "plait"], &["sil", "te", "plait"], &["merci"], &["bonjour"],
    &["salut"], &["bitte"], &["danke"], &["hallo"], &["guten", "tag"], &["ciao"], &["grazie"],
    &["per", "favore"], &["alsjeblieft"], &["aub"], &["graag"],
];

/// Words that turn the rest into a request (`can you stop`, `I want to unsubscribe`). Strong
/// keywords and phrases may follow them; weak keywords may not (`I need to cancel` is about an
/// appointment).
#[rustfmt::skip]
const LEADING_REQUEST: &[&[&str]] = &[
    &["i", "said"], &["i", "say"], &["i", "already", "said"], &["i", "told", "you"],
    &["i", "want", "to"], &["i", "wanna"], &["i", "would", "like", "to"], &["id", "like", "to"],
    &["i", "wish", "to"], &["i", "need", "to"], &["we", "want", "to"],
    &["we", "would", "like", "to"], &["wed", "like", "to"], &["i", "want", "you", "to"],
    &["i", "need", "you", "to"], &["i", "would", "like", "you", "to"], &["id", "like", "you", "to"],
    &["i", "am", "asking", "you", "to"], &["im", "asking", "you", "to"], &["can", "you"],
    &["could", "you"], &["would", "you"], &["will", "you"], &["can", "u"], &["could", "u"],
    &["would", "u"], &["will", "u"], &["let", "me"], &["you", "can"], &["u", "can"],
    &["for", "the", "last", "time"], &["once", "again"], &["go", "ahead", "and"], &["quiero"],
    &["quisiera"], &["deseo"], &["favor", "de"], &["je", "veux"], &["je", "voudrais"],
    &["je", "souhaite"], &["veuillez"], &["merci", "de"], &["ich", "will"], &["ich", "mochte"],
    &["quero"], &["gostaria", "de"], &["vorrei"], &["voglio"],
];

/// Politeness at the end of a message.
#[rustfmt::skip]
const TRAILING: &[&[&str]] = &[
    &["please"], &["pls"], &["plz"], &["plse"], &["thanks"], &["thank", "you"], &["thank", "u"],
    &["thx"], &["ty"], &["tks"], &["tnx"], &["cheers"], &["now"], &["asap"], &["immediately"],
    &["right", "now"], &["again"], &["anymore"], &["any", "more"], &["ever", "again"], &["already"],
    &["for", "good"], &["permanently"], &["forever"], &["bye"], &["goodbye"], &["ok"], &["okay"],
    &["sir"], &["maam"], &["mate"], &["guys"], &["man"], &["dude"], &["lol"], &["seriously"],
    &["then"], &["x"], &["xx"], &["from", "now", "on"], &["thanks", "again"], &["por", "favor"],
    &["porfa"], &["porfavor"], &["gracias"], &["muchas", "gracias"], &["ya"], &["svp"], &["stp"],
    &["sil", "vous", "plait"], &["sil", "te", "plait"], &["merci"], &["merci", "beaucoup"],
    &["bitte"], &["danke"], &["obrigado"], &["obrigada"], &["grazie"], &["per", "favore"],
    &["alsjeblieft"], &["aub"], &["bedankt"],
];

/// An explicit opt-out request.
#[derive(Clone, Copy, Debug)]
struct Phrase {
    pat: &'static [S],
    /// A preceding negation cancels it (`don't unsubscribe me`).
    neg: bool,
    /// The request may name its object; skip it when that is somebody else
    /// (`unsubscribe my colleague`).
    open: bool,
    /// `stop …ing`: not a request when the writer is the one who would stop
    /// (`I'll stop texting you`, `should I stop sending updates?`).
    actor: bool,
}

const fn ph(pat: &'static [S]) -> Phrase {
    Phrase {
        pat,
        neg: true,
        open: false,
        actor: false,
    }
}
/// Already a negative request (`do not contact me`): no negation check.
const fn ph_neg(pat: &'static [S]) -> Phrase {
    Phrase {
        pat,
        neg: false,
        open: false,
        actor: false,
    }
}
const fn ph_open(pat: &'static [S]) -> Phrase {
    Phrase {
        pat,
        neg: true,
        open: true,
        actor: false,
    }
}
const fn ph_actor(pat: &'static [S]) -> Phrase {
    Phrase {
        pat,
        neg: true,
        open: false,
        actor: true,
    }
}

const STOP_VERBS: &[&str] = &["stop", "quit", "cease", "halt"];
#[rustfmt::skip]
const ING: &[&str] = &[
    "texting", "txting", "messaging", "msging", "contacting", "calling", "emailing", "emailling",
    "mailing", "spamming", "bothering", "harassing", "pestering", "bugging", "writing", "ringing",
    "phoning", "reaching", "hitting", "dming", "whatsapping",
];
const OBJ: &[&str] = &["me", "us", "to", "this", "my", "our", "out", "up"];
#[rustfmt::skip]
const DET: &[&str] = &[
    "all", "the", "these", "this", "those", "your", "ur", "any", "such", "my", "our", "more",
    "further", "future",
];
#[rustfmt::skip]
const ADJ: &[&str] = &[
    "spam", "spammy", "marketing", "automated", "promotional", "sales", "annoying", "stupid",
    "damn", "fucking", "bloody", "freaking", "unsolicited", "unwanted", "more", "further", "cold",
    "future", "calling", "call", "texting", "text", "sms", "email", "contact", "phone",
];
#[rustfmt::skip]
const NOUNS: &[&str] = &[
    "texts", "text", "messages", "message", "msgs", "msg", "sms", "emails", "email", "mails",
    "calls", "spam", "notifications", "alerts", "reminders", "promos", "promotions", "ads",
    "newsletters", "newsletter", "marketing", "solicitations", "communications", "communication",
    "correspondence", "contact", "updates", "offers", "information", "info", "outreach", "mailings",
    "whatsapps", "voicemails",
];
#[rustfmt::skip]
const CONTACT_VERBS: &[&str] = &[
    "contact", "text", "txt", "message", "msg", "call", "email", "mail", "write", "send", "spam",
    "bother", "ring", "phone", "reach", "sms", "whatsapp", "dm", "ping", "solicit", "harass",
];
#[rustfmt::skip]
const REMOVE: &[&str] = &[
    "remove", "delete", "erase", "unsubscribe", "unsub", "unlist", "unenroll", "unenrol",
    "deregister", "purge",
];
#[rustfmt::skip]
const ID_PREFIX: &[&str] = &[
    "phone", "cell", "mobile", "email", "e", "contact", "personal",
];
#[rustfmt::skip]
const ID_NOUNS: &[&str] = &[
    "number", "no", "name", "email", "mail", "contact", "contacts", "details", "info",
    "information", "data", "address", "account", "profile", "record", "records", "emails",
    "mailbox", "nr",
];
const WANT: &[&str] = &["want", "wish", "need", "wanna", "like", "care"];
const RECEIVE: &[&str] = &["receive", "recieve", "get", "getting", "receiving"];
#[rustfmt::skip]
const LISTS: &[&str] = &[
    "list", "lists", "mailing", "database", "distribution", "newsletter", "contacts", "system",
    "records", "db", "crm", "sequence", "cadence", "campaign", "campaigns",
];
#[rustfmt::skip]
const UNSUB: &[&str] = &[
    "unsubscribe", "unsubscribed", "unsubscribing", "unsub", "unsubbed", "unsubscription", "optout",
    "unsubscribeme",
];

/// English requests (always on).
#[rustfmt::skip]
const PHRASES: &[Phrase] = &[
    // stop texting me / stop calling
    ph_actor(&[R(STOP_VERBS), R(ING), O(OBJ), O(DET), O(ADJ), O(NOUNS)]),
    // stop sending me these emails / stop getting texts / stop sending me
    ph_actor(&[
        R(STOP_VERBS),
        R(&["sending", "receiving", "getting", "recieving"]),
        O(&["me", "us", "to"]),
        O(&["me", "us"]),
        O(DET),
        O(ADJ),
        R(NOUNS),
    ]),
    ph_actor(&[R(STOP_VERBS), R(&["sending"]), R(&["me", "us"])]),
    // stop the texts / stop all marketing emails
    ph(&[R(STOP_VERBS), O(DET), O(ADJ), R(NOUNS)]),
    // remove me / unsubscribe me from your mailing list
    ph(&[
        R(REMOVE),
        R(&["me", "us", "myself"]),
        O(&["from", "off"]),
        O(DET),
        O(ADJ),
        O(LISTS),
        O(&["list", "lists"]),
    ]),
    // remove my number / lose my number / delete this email address
    ph(&[
        R(&[
            "remove", "delete", "erase", "unsubscribe", "unsub", "lose", "forget", "purge",
            "unlist",
        ]),
        R(&["my", "our", "this"]),
        O(ID_PREFIX),
        R(ID_NOUNS),
        O(&["from", "off"]),
        O(DET),
        O(ADJ),
        O(LISTS),
        O(&["list", "lists"]),
    ]),
    // remove from your list
    ph(&[R(REMOVE), R(&["from", "off"]), O(DET), O(ADJ), R(LISTS)]),
    // take me off your list / take my number off
    ph(&[
        R(&[
            "take", "get", "cross", "scratch", "strike", "drop", "pull", "knock",
        ]),
        R(&["me", "us", "my", "our", "this"]),
        O(ID_PREFIX),
        O(ID_NOUNS),
        R(&["off", "out", "from"]),
        O(&["of"]),
        O(DET),
        O(ADJ),
        O(LISTS),
        O(&["list", "lists"]),
    ]),
    // don't text me / never contact me again / do not email this address
    ph_neg(&[
        Neg,
        O(&["ever", "evr"]),
        O(&["e"]),
        R(CONTACT_VERBS),
        R(&["me", "us", "this", "to", "my", "again", "anymore", "any"]),
    ]),
    // no more texts / no further contact
    ph_neg(&[
        R(&["no"]),
        R(&["more", "further"]),
        O(&["of"]),
        O(DET),
        O(ADJ),
        R(NOUNS),
    ]),
    // no longer wish to receive / no longer interested in receiving
    ph_neg(&[
        R(&["no"]),
        R(&["longer"]),
        R(&[
            "wish", "want", "need", "wanna", "like", "interested", "wishing", "wanting",
        ]),
        O(&["to", "in"]),
        R(&[
            "receive", "recieve", "receiving", "get", "getting", "be", "hear", "hearing",
        ]),
    ]),
    // I don't want to receive these emails
    ph_neg(&[
        Neg,
        R(WANT),
        R(&["to"]),
        R(RECEIVE),
        O(DET),
        O(ADJ),
        R(NOUNS),
    ]),
    // I don't want to hear from you
    ph_neg(&[Neg, R(WANT), R(&["to"]), R(&["hear"]), R(&["from"])]),
    // I do not wish to be contacted
    ph_neg(&[
        Neg,
        R(WANT),
        R(&["to"]),
        R(&["be"]),
        R(&[
            "contacted", "emailed", "texted", "called", "messaged", "spammed", "bothered",
            "solicited", "included", "subscribed", "added", "listed",
        ]),
    ]),
    // I don't want to be on your list
    ph_neg(&[
        Neg,
        R(WANT),
        R(&["to"]),
        R(&["be"]),
        R(&["on", "in"]),
        O(DET),
        O(ADJ),
        R(LISTS),
    ]),
    // I don't want these emails
    ph_neg(&[Neg, R(WANT), R(DET), O(ADJ), R(NOUNS)]),
    // not interested in receiving
    ph_neg(&[
        R(&["not"]),
        R(&["interested"]),
        R(&["in"]),
        R(&["receiving", "getting", "hearing", "being"]),
    ]),
    // leave me alone
    ph(&[R(&["leave"]), R(&["me", "us"]), R(&["alone", "be"])]),
    // opt me out / opt out
    ph(&[R(&["opt", "opting"]), R(&["me", "us"]), R(&["out"])]),
    ph_open(&[R(&["opt", "opting", "opted"]), R(&["out"])]),
    // unsubscribe (the bare word: a question about how to unsubscribe is a request too)
    ph_open(&[R(UNSUB)]),
    // add me to your do not contact list
    ph(&[
        R(&["add", "put", "place"]),
        R(&["me", "us", "my", "this", "our"]),
        O(ID_PREFIX),
        O(ID_NOUNS),
        R(&["to", "on"]),
        O(&["your", "the", "ur", "a"]),
        R(&[
            "do", "dnc", "donotcontact", "donotcall", "suppression", "unsubscribe", "blacklist",
            "blocklist", "exclusion", "optout", "no", "dont",
        ]),
        O(&["not"]),
        O(&["call", "contact", "email", "mail", "text", "disturb"]),
        O(&["list", "registry", "register"]),
    ]),
    // cease and desist
    ph_neg(&[R(&["cease"]), R(&["and"]), R(&["desist"])]),
];

/// Requests in other languages (on unless the workspace turns translations off).
#[rustfmt::skip]
const TRANSLATED_PHRASES: &[Phrase] = &[
    // es
    ph(&[
        R(&[
            "darme", "darnos", "dar", "denme", "dame", "deme", "den", "doy", "daros", "dan",
        ]),
        R(&["de"]),
        R(&["baja"]),
    ]),
    ph(&[R(&[
        "borrarme", "eliminarme", "sacarme", "quitarme", "borrenme", "eliminenme", "saquenme",
        "quitenme", "borreme", "elimineme", "saqueme", "quiteme", "borrame", "eliminame", "sacame",
        "quitame", "removerme", "desuscribirme", "desinscribirme", "desuscribanme", "desuscribame",
        "desinscribanme",
    ])]),
    ph_open(&[R(&[
        "desuscribir", "desinscribir", "desuscribirse", "desinscribirse",
    ])]),
    ph(&[
        R(&[
            "borren", "borra", "borrar", "eliminen", "elimina", "eliminar", "quiten", "quita",
            "quitar", "saquen", "saca", "sacar",
        ]),
        R(&["mi", "mis", "nuestro", "este"]),
        R(&[
            "numero", "telefono", "correo", "contacto", "datos", "email", "nombre", "celular",
        ]),
    ]),
    ph_neg(&[
        R(&["no"]),
        R(&["me", "nos"]),
        O(&["vuelvan", "vuelvas", "vuelva"]),
        O(&["a"]),
        R(&[
            "escribas", "escriban", "escriba", "envies", "envien", "envie", "mandes", "manden",
            "mande", "contacten", "contactes", "contacte", "llamen", "llames", "llame", "molesten",
            "molestes", "moleste", "escribir", "enviar", "mandar", "contactar", "llamar",
            "molestar",
        ]),
    ]),
    ph(&[
        R(&[
            "dejen", "deja", "deje", "dejad", "paren", "para", "pare", "parem",
        ]),
        R(&["de"]),
        R(&[
            "escribirme", "enviarme", "mandarme", "contactarme", "llamarme", "molestarme",
            "escribir", "enviar", "mandar", "llamar", "contactar", "molestar", "me", "ligar",
            "escrever", "contatar", "incomodar",
        ]),
    ]),
    ph_neg(&[
        R(&["no", "nao"]),
        R(&["quiero", "deseo", "quero", "desejo"]),
        R(&["recibir", "receber", "mas", "mais"]),
    ]),
    ph_neg(&[
        R(&["no"]),
        R(&["mas"]),
        R(&[
            "mensajes", "sms", "correos", "emails", "llamadas", "textos", "spam", "publicidad",
        ]),
    ]),
    ph(&[
        R(&["cancelar"]),
        O(&["mi", "la", "minha", "a"]),
        R(&[
            "suscripcion", "subscripcion", "inscripcion", "assinatura", "inscricao",
        ]),
    ]),
    // fr
    ph(&[
        R(&[
            "desabonnez", "desinscrivez", "retirez", "supprimez", "enlevez", "radiez", "desabonne",
            "desinscris", "retire", "supprime", "enleve",
        ]),
        R(&["moi", "nous", "mon", "mes", "notre"]),
    ]),
    ph_open(&[R(&[
        "desabonner", "desinscrire", "desabonnement", "desinscription",
    ])]),
    ph(&[
        R(&["me", "nous"]),
        R(&[
            "retirer", "desinscrire", "desabonner", "supprimer", "enlever", "radier",
        ]),
    ]),
    ph_neg(&[
        R(&["ne"]),
        R(&["me", "nous"]),
        R(&[
            "contactez", "ecrivez", "envoyez", "appelez", "sollicitez", "contacte", "ecris",
            "envoie", "appelle", "contactes",
        ]),
        R(&["plus", "jamais"]),
    ]),
    ph_neg(&[
        R(&["ne"]),
        R(&[
            "menvoyez", "mecrivez", "mappelez", "menvoie", "mecris", "mappelle",
        ]),
        R(&["plus", "jamais"]),
    ]),
    ph(&[
        R(&["arretez", "arrete", "arreter", "arretes", "cessez"]),
        R(&["de"]),
        R(&[
            "menvoyer", "mecrire", "mappeler", "me", "nous", "contacter", "envoyer", "ecrire",
            "harceler", "spammer",
        ]),
    ]),
    ph_neg(&[R(&["ne"]), R(&["plus"]), R(&["recevoir", "etre"])]),
    ph_neg(&[
        R(&["ne"]),
        R(&["veux", "souhaite", "voulons", "souhaitons", "desire"]),
        R(&["plus"]),
        R(&["recevoir", "etre"]),
    ]),
    // de
    ph_open(&[R(&[
        "abmelden", "abbestellen", "austragen", "abmeldung", "abbestellung",
    ])]),
    ph(&[
        R(&["entfernen", "loschen", "streichen", "nehmen", "tragen"]),
        R(&["sie"]),
        R(&["mich", "uns", "meine", "meinen"]),
    ]),
    ph_neg(&[
        R(&["keine"]),
        O(&["e"]),
        R(&[
            "mails", "emails", "nachrichten", "werbung", "newsletter", "anrufe", "sms",
            "kontaktaufnahme", "zusendungen", "angebote",
        ]),
        R(&["mehr"]),
    ]),
    ph_neg(&[
        R(&["keine"]),
        R(&["weiteren", "weitere"]),
        O(&["e"]),
        R(&[
            "mails", "emails", "nachrichten", "werbung", "newsletter", "anrufe", "sms",
            "kontaktaufnahme", "zusendungen", "angebote",
        ]),
    ]),
    ph_neg(&[
        R(&["nicht"]),
        R(&["mehr"]),
        R(&[
            "kontaktieren", "anschreiben", "anrufen", "zusenden", "schreiben", "senden", "erhalten",
            "bekommen", "kontaktiert", "angeschrieben", "angerufen", "belastigen", "mailen",
        ]),
    ]),
    ph_neg(&[
        R(&[
            "kontaktieren", "schreiben", "mailen", "anrufen", "belastigen", "kontaktiere",
            "schreibe",
        ]),
        R(&["sie", "mich", "uns"]),
        O(&["mich", "uns"]),
        R(&["nicht"]),
        R(&["mehr"]),
    ]),
    // pt
    ph_open(&[R(&[
        "descadastrar", "descadastre", "descadastrem", "descadastra",
    ])]),
    ph(&[
        R(&[
            "remova", "removam", "retire", "retirem", "tire", "tirem", "exclua", "excluam",
            "apague", "apaguem",
        ]),
        R(&["me", "meu", "meus", "nos"]),
    ]),
    ph_neg(&[
        R(&["nao"]),
        R(&["me"]),
        R(&[
            "mande", "mandem", "envie", "enviem", "ligue", "liguem", "contate", "contatem",
            "escreva", "escrevam", "incomode", "incomodem", "perturbe",
        ]),
    ]),
    // it
    ph(&[R(&[
        "cancellami", "cancellatemi", "rimuovimi", "rimuovetemi", "disiscrivimi", "disiscrivetemi",
        "disiscrivermi", "toglietemi", "toglimi", "eliminatemi",
    ])]),
    ph_open(&[R(&["disiscrivere", "disiscriversi"])]),
    ph_neg(&[
        R(&["non"]),
        R(&[
            "contattatemi", "scrivetemi", "chiamatemi", "inviatemi", "mandatemi", "contattarmi",
            "scrivermi", "chiamarmi", "inviarmi", "mandarmi",
        ]),
    ]),
    ph_neg(&[
        R(&["non"]),
        R(&["mi"]),
        R(&[
            "contattate", "scrivete", "chiamate", "inviate", "mandate", "contattare", "scrivere",
        ]),
        R(&["piu"]),
    ]),
    ph_neg(&[
        R(&["non"]),
        R(&["voglio", "desidero"]),
        R(&["piu", "ricevere"]),
    ]),
    // nl
    ph_open(&[R(&[
        "afmelden", "uitschrijven", "afmelding", "uitschrijving",
    ])]),
    ph(&[
        R(&["verwijder", "verwijderen", "verwijdert"]),
        R(&["mij", "me", "mijn", "ons"]),
    ]),
    ph_neg(&[
        R(&["geen"]),
        O(&["e"]),
        R(&[
            "mails", "emails", "berichten", "nieuwsbrief", "sms", "telefoontjes", "reclame",
        ]),
        R(&["meer"]),
    ]),
    // ru
    ph_open(&[R(&["отписаться", "отпишите", "отписать", "отпишитесь"])]),
    ph_neg(&[
        R(&["не"]),
        R(&["пишите", "звоните", "присылайте", "беспокойте"]),
    ]),
];

/// Words that negate a following request.
#[rustfmt::skip]
fn is_negator(w: &str) -> bool {
    matches!(
        w,
        "dont"
            | "donot" | "not" | "never" | "no" | "wont" | "didnt" | "doesnt" | "shouldnt"
            | "wouldnt" | "neednt" | "nobody" | "without" | "nicht" | "kein" | "keine" | "ne"
            | "pas" | "non" | "nao" | "niet" | "nunca" | "jamais" | "nie" | "не"
    )
}

/// Words that may stand between a negation and the request it negates
/// (`don't *want to* unsubscribe`, `do not *you dare* remove me`).
#[rustfmt::skip]
fn is_bridge(w: &str) -> bool {
    matches!(
        w,
        "i" | "we"
            | "you" | "u" | "me" | "us" | "to" | "want" | "wanna" | "wish" | "need" | "please"
            | "pls" | "ever" | "going" | "gonna" | "plan" | "intend" | "like" | "would" | "really"
            | "actually" | "just" | "have" | "it" | "yet" | "dare" | "do" | "try" | "trying"
            | "will" | "be" | "am" | "im" | "ill" | "mean" | "even" | "quiero" | "quisiera"
            | "deseo" | "veux" | "souhaite" | "voglio" | "quero" | "mochte" | "wollen" | "sie"
            | "mich" | "bitte" | "nos" | "de" | "que" | "moi" | "nous" | "mi"
    )
}

/// Objects that are somebody else: `unsubscribe my colleague`, `opt out him`.
#[rustfmt::skip]
fn third_party_at(n: &Normalized<'_>, i: usize) -> bool {
    match n.word(i) {
        "him" | "her" | "them" | "someone" | "somebody" | "others" | "his" | "their" => true,
        "my" | "our" => {
            let mut k = i + 1;
            if matches!(n.word(k), "old" | "former" | "previous" | "new") {
                k += 1;
            }
            matches!(
                n.word(k),
                "colleague"
                    | "colleagues" | "coworker" | "coworkers" | "co" | "boss" | "manager"
                    | "assistant" | "wife" | "husband" | "partner" | "friend" | "friends" | "son"
                    | "daughter" | "kid" | "kids" | "mother" | "mom" | "mum" | "father" | "dad"
                    | "team" | "employee" | "employees" | "staff" | "secretary" | "client"
                    | "clients" | "customer" | "customers" | "brother" | "sister" | "parents"
                    | "family" | "children" | "child" | "intern" | "associate" | "teammate" | "ea"
                    | "pa" | "predecessor" | "colleage" | "collegue"
            )
        }
        _ => false,
    }
}

/// Matches `p` at token `i`, not past `end`. With `exact`, the match must end at `end`.
/// Returns the end of the match.
pub(crate) fn match_pat(
    p: &[S],
    n: &Normalized<'_>,
    i: usize,
    end: usize,
    exact: bool,
) -> Option<usize> {
    let Some((first, rest)) = p.split_first() else {
        return (!exact || i == end).then_some(i);
    };
    let w = if i < end { n.word(i) } else { "" };
    match *first {
        R(ws) => {
            if i < end && ws.contains(&w) {
                match_pat(rest, n, i + 1, end, exact)
            } else {
                None
            }
        }
        O(ws) => {
            if i < end
                && ws.contains(&w)
                && let Some(e) = match_pat(rest, n, i + 1, end, exact)
            {
                return Some(e);
            }
            match_pat(rest, n, i, end, exact)
        }
        Neg => {
            if i < end && matches!(w, "dont" | "donot" | "never") {
                match_pat(rest, n, i + 1, end, exact)
            } else if i + 1 < end && w == "do" && n.word(i + 1) == "not" {
                match_pat(rest, n, i + 2, end, exact)
            } else {
                None
            }
        }
    }
}

/// Matches configured words at token `i`, not past `end`.
fn match_words(words: &[String], n: &Normalized<'_>, i: usize, end: usize) -> Option<usize> {
    if words.is_empty() || i + words.len() > end {
        return None;
    }
    words
        .iter()
        .enumerate()
        .all(|(k, w)| n.word(i + k) == w)
        .then_some(i + words.len())
}

fn match_static(words: &[&str], n: &Normalized<'_>, i: usize, end: usize) -> Option<usize> {
    if words.is_empty() || i + words.len() > end {
        return None;
    }
    words
        .iter()
        .enumerate()
        .all(|(k, w)| n.word(i + k) == *w)
        .then_some(i + words.len())
}

/// The longest filler of `table` among the entries in `mask` at token `i`.
fn filler_at(
    table: &[&[&str]],
    mask: u128,
    n: &Normalized<'_>,
    i: usize,
    end: usize,
) -> Option<usize> {
    bits(mask)
        .filter_map(|k| table.get(k))
        .filter_map(|f| match_static(f, n, i, end))
        .max()
}

/// Strips one leading filler at `i`: the new start and whether it was a request filler.
fn strip_leading(n: &Normalized<'_>, i: usize, end: usize) -> Option<(usize, bool)> {
    let e = n.entry(i)?;
    let polite = filler_at(LEADING_POLITE, e.polite, n, i, end);
    let request = filler_at(LEADING_REQUEST, e.request, n, i, end);
    match (polite, request) {
        (Some(p), Some(r)) if r > p => Some((r, true)),
        (Some(p), _) => Some((p, false)),
        (None, Some(r)) => Some((r, true)),
        (None, None) => None,
    }
}

/// The end of `start..end` once one trailing filler is stripped.
fn strip_trailing_one(n: &Normalized<'_>, start: usize, end: usize) -> Option<usize> {
    if end <= start {
        return None;
    }
    let e = n.entry(end - 1)?;
    bits(e.trailing)
        .filter_map(|k| TRAILING.get(k))
        .filter_map(|f| {
            let len = f.len();
            (end >= start + len && match_static(f, n, end - len, end) == Some(end))
                .then(|| end - len)
        })
        .min()
}

/// The end of `start..end` once trailing fillers are stripped.
fn strip_trailing(n: &Normalized<'_>, start: usize, mut end: usize) -> usize {
    while let Some(shorter) = strip_trailing_one(n, start, end) {
        end = shorter;
    }
    end
}

/// A keyword found in the text: what it asks for and its token range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hit {
    pub(crate) kind: Kind,
    pub(crate) start: usize,
    pub(crate) end: usize,
}

#[derive(Clone, Copy)]
struct KwAt {
    kind: Kind,
    end: usize,
    strong: bool,
}

/// The longest keyword at token `i`.
fn keyword_at(
    n: &Normalized<'_>,
    i: usize,
    end: usize,
    cfg: &OptOutConfig,
    sms_like: bool,
) -> Option<KwAt> {
    let entry = n.entry(i);
    if entry.is_none() && !cfg.has_keywords() {
        return None;
    }
    let mut best: Option<KwAt> = None;
    let mut consider = |found: Option<usize>, kind: Kind, strong: bool| {
        if let Some(e) = found
            && best.is_none_or(|b| e > b.end)
        {
            best = Some(KwAt {
                kind,
                end: e,
                strong,
            });
        }
    };
    let builtin = entry.map_or(0, |e| e.keywords);
    for k in bits(builtin) {
        let kw = if k < CORE_KEYWORDS.len() {
            CORE_KEYWORDS.get(k)
        } else if cfg.translations {
            TRANSLATED_KEYWORDS.get(k - CORE_KEYWORDS.len())
        } else {
            None
        };
        let Some(kw) = kw else { continue };
        if kw.sms_only && !sms_like {
            continue;
        }
        consider(match_static(kw.words, n, i, end), kw.kind, kw.strong);
    }
    for w in &cfg.opt_out {
        consider(match_words(w, n, i, end), Kind::OptOut, false);
    }
    for w in &cfg.opt_in {
        consider(match_words(w, n, i, end), Kind::OptIn, false);
    }
    for w in &cfg.help {
        consider(match_words(w, n, i, end), Kind::Help, false);
    }
    best
}

/// `a..b` is nothing but keywords, maybe followed by one code or object word. Opt-out wins
/// over opt-in over help; the hit is the first keyword of the winning kind.
fn keyword_sequence(
    n: &Normalized<'_>,
    a: usize,
    b: usize,
    cfg: &OptOutConfig,
    sms_like: bool,
    weak_ok: bool,
) -> Option<Hit> {
    let mut i = a;
    let mut hits: [Option<Hit>; 3] = [None; 3];
    let mut all_strong = true;
    while i < b {
        let Some(k) = keyword_at(n, i, b, cfg, sms_like) else {
            break;
        };
        if !k.strong && !weak_ok {
            return None;
        }
        all_strong &= k.strong;
        let slot = match k.kind {
            Kind::OptOut => 0,
            Kind::OptIn => 1,
            Kind::Help => 2,
        };
        if let Some(h) = hits.get_mut(slot)
            && h.is_none()
        {
            *h = Some(Hit {
                kind: k.kind,
                start: i,
                end: k.end,
            });
        }
        i = k.end;
    }
    if i == a {
        return None;
    }
    let mut suffix_word = false;
    if i < b {
        let w = n.word(i);
        if i + 1 != b {
            return None;
        }
        if is_keyword_suffix(w, all_strong) {
            suffix_word = true;
        } else if !is_code(w) {
            return None;
        }
    }
    // The object word belongs to what was matched (`stop it`, `unsubscribe me`); a code does
    // not (`STOP 12345` matched `STOP`).
    hits.into_iter().flatten().next().map(|h| {
        if suffix_word && h.end == i {
            Hit { end: b, ..h }
        } else {
            h
        }
    })
}

/// `s t o p`, `S.T.O.P.`: single letters typed apart that spell a one-word keyword.
fn spelled_out(n: &Normalized<'_>, cfg: &OptOutConfig, sms_like: bool) -> Option<Hit> {
    let len = n.len();
    if !(3..=16).contains(&len) || !(0..len).all(|i| n.word(i).chars().count() == 1) {
        return None;
    }
    let joined: String = (0..len).map(|i| n.word(i)).collect();
    let joined_n = Normalized::new(&joined);
    keyword_sequence(&joined_n, 0, joined_n.len(), cfg, sms_like, true).map(|h| Hit {
        kind: h.kind,
        start: 0,
        end: len,
    })
}

/// Rule 1: the whole text is a keyword (after politeness at both ends).
pub(crate) fn whole_keyword(
    n: &Normalized<'_>,
    a: usize,
    b: usize,
    cfg: &OptOutConfig,
    sms_like: bool,
) -> Option<Hit> {
    let mut i = a;
    let mut request = false;
    loop {
        // Try the text with its trailing politeness, then without it one filler at a time, so
        // that a configured `para ya` wins over the built-in `para` + `ya`.
        let mut e = b;
        loop {
            if i < e
                && let Some(h) = keyword_sequence(n, i, e, cfg, sms_like, !request)
            {
                // After "I want to" / "can you" only an opt-out counts (`can you help` asks).
                if !request || h.kind == Kind::OptOut {
                    return Some(h);
                }
            }
            match strip_trailing_one(n, i, e) {
                Some(shorter) => e = shorter,
                None => break,
            }
        }
        match strip_leading(n, i, b) {
            Some((next, req)) => {
                i = next;
                request |= req;
            }
            None => break,
        }
    }
    if a == 0 && b == n.len() {
        return spelled_out(n, cfg, sms_like);
    }
    None
}

/// Rule 2: some clause is a strong opt-out keyword on its own.
pub(crate) fn clause_keyword(n: &Normalized<'_>, cfg: &OptOutConfig) -> Option<Hit> {
    for (a, b) in n.clauses() {
        let mut i = a;
        loop {
            let e = strip_trailing(n, i, b);
            if i < e
                && let Some(h) = keyword_sequence(n, i, e, cfg, true, false)
                && h.kind == Kind::OptOut
            {
                return Some(h);
            }
            match strip_leading(n, i, b) {
                Some((next, _)) => i = next,
                None => break,
            }
        }
    }
    None
}

/// Rule 3: an explicit request phrase anywhere, not negated, about the writer themself.
/// Returns the token range of the phrase.
pub(crate) fn find_phrase(n: &Normalized<'_>, cfg: &OptOutConfig) -> Option<(usize, usize)> {
    let len = n.len();
    let mut clause_end = 0;
    let mut clause_start = 0;
    for i in 0..len {
        if i >= clause_end {
            clause_start = i;
            clause_end = n.clause_end(i);
        }
        if let Some(entry) = n.entry(i) {
            for k in bits(entry.phrases) {
                let p = if k < PHRASES.len() {
                    PHRASES.get(k)
                } else if cfg.translations {
                    TRANSLATED_PHRASES.get(k - PHRASES.len())
                } else {
                    None
                };
                let Some(p) = p else { continue };
                let Some(e) = match_pat(p.pat, n, i, clause_end, false) else {
                    continue;
                };
                if p.neg && negated(n, clause_start, i) {
                    continue;
                }
                if p.open && third_party_at(n, e) {
                    continue;
                }
                if p.actor
                    && writer_is_subject(n, clause_start, i)
                    && !matches!(n.word(i + 1), "receiving" | "getting" | "recieving")
                {
                    continue;
                }
                return Some((i, trim_dangling(n, i, e)));
            }
        }
        for w in &cfg.phrases {
            if let Some(e) = match_words(w, n, i, clause_end)
                && !negated(n, clause_start, i)
            {
                return Some((i, e));
            }
        }
    }
    None
}

/// Drops function words an optional tail left at the end of a match (`remove me from your`
/// when the list is not named).
fn trim_dangling(n: &Normalized<'_>, start: usize, mut end: usize) -> usize {
    while end > start + 1
        && end
            .checked_sub(1)
            .is_some_and(|l| matches!(n.word(l), "from" | "of" | "a") || DET.contains(&n.word(l)))
    {
        end -= 1;
    }
    end
}

/// Rule 3 on a short text that must *be* the request (an email subject): after politeness
/// at the start, a phrase that covers the rest but trailing politeness.
pub(crate) fn exact_phrase(
    n: &Normalized<'_>,
    a: usize,
    b: usize,
    cfg: &OptOutConfig,
) -> Option<(usize, usize)> {
    let mut i = a;
    loop {
        let e = strip_trailing(n, i, b);
        if i < e {
            let tables: &[&[Phrase]] = if cfg.translations {
                &[PHRASES, TRANSLATED_PHRASES]
            } else {
                &[PHRASES]
            };
            if tables
                .iter()
                .flat_map(|t| t.iter())
                .any(|p| match_pat(p.pat, n, i, e, true).is_some())
                || cfg
                    .phrases
                    .iter()
                    .any(|w| match_words(w, n, i, e) == Some(e))
            {
                return Some((i, e));
            }
        }
        match strip_leading(n, i, b) {
            Some((next, _)) => i = next,
            None => return None,
        }
    }
}

/// Whether a negation governs the request at `pos` (looking back inside its clause).
fn negated(n: &Normalized<'_>, clause_start: usize, pos: usize) -> bool {
    let mut k = pos;
    let mut steps = 0;
    while k > clause_start && steps < 6 {
        k -= 1;
        steps += 1;
        let w = n.word(k);
        if is_negator(w) {
            // "if you don't stop texting me …" is a demand, not a negation.
            let from = k.saturating_sub(3).max(clause_start);
            return !(from..k).any(|j| matches!(n.word(j), "if" | "unless" | "si"));
        }
        if !is_bridge(w) {
            return false;
        }
    }
    false
}

/// Whether the writer is the subject of the verb at `pos` (`I'll stop`, `should I stop`,
/// `we can stop`).
#[rustfmt::skip]
fn writer_is_subject(n: &Normalized<'_>, clause_start: usize, pos: usize) -> bool {
    let mut k = pos;
    let mut steps = 0;
    while k > clause_start && steps < 4 {
        k -= 1;
        steps += 1;
        match n.word(k) {
            "i" | "we" | "ill" | "id" | "im" | "ive" | "weve" | "wed" => return true,
            "should" | "shall" | "will" | "to" | "gonna" | "going" | "can" | "could" | "might"
            | "must" | "need" | "have" | "want" | "wanna" | "better" | "just" | "probably"
            | "maybe" | "would" => {}
            _ => return false,
        }
    }
    false
}

/// What the tables say about one word: which entries of each table start (for trailing
/// politeness: end) with it. Bit `k` of a mask is entry `k` of the table; the keyword and
/// phrase masks number the built-in entries first and the translations after them.
#[derive(Clone, Debug, Default)]
pub(crate) struct Entry {
    word: &'static str,
    polite: u128,
    request: u128,
    trailing: u128,
    keywords: u128,
    phrases: u128,
    /// Starts an out-of-office phrase (`email::OOO`).
    pub(crate) ooo: bool,
}

/// Every word the tables can start with. An open-addressing hash table, so classifying a
/// token costs one hash of a short word and usually one comparison, and a table is only
/// scanned at tokens that start one of its entries, and only for those entries.
#[derive(Debug)]
pub(crate) struct Lexicon {
    /// Index + 1 into `entries`; 0 is an empty slot.
    slots: Vec<u16>,
    entries: Vec<Entry>,
}

const SLOTS: usize = 4096;

/// The indices of the set bits of `m`.
fn bits(mut m: u128) -> impl Iterator<Item = usize> {
    std::iter::from_fn(move || {
        if m == 0 {
            return None;
        }
        let b = m.trailing_zeros();
        m &= m - 1;
        usize::try_from(b).ok()
    })
}

fn bit(k: usize) -> u128 {
    u32::try_from(k)
        .ok()
        .and_then(|k| 1u128.checked_shl(k))
        .unwrap_or(0)
}

impl Lexicon {
    fn build() -> Self {
        let mut lex = Lexicon {
            slots: vec![0; SLOTS],
            entries: Vec::new(),
        };
        for (k, f) in LEADING_POLITE.iter().enumerate() {
            if let Some(w) = f.first() {
                lex.update(w, |e| e.polite |= bit(k));
            }
        }
        for (k, f) in LEADING_REQUEST.iter().enumerate() {
            if let Some(w) = f.first() {
                lex.update(w, |e| e.request |= bit(k));
            }
        }
        for (k, f) in TRAILING.iter().enumerate() {
            if let Some(w) = f.last() {
                lex.update(w, |e| e.trailing |= bit(k));
            }
        }
        for (k, kw) in CORE_KEYWORDS.iter().chain(TRANSLATED_KEYWORDS).enumerate() {
            if let Some(w) = kw.words.first() {
                lex.update(w, |e| e.keywords |= bit(k));
            }
        }
        for (k, p) in PHRASES.iter().chain(TRANSLATED_PHRASES).enumerate() {
            for w in starts(p.pat) {
                lex.update(w, |e| e.phrases |= bit(k));
            }
        }
        for p in super::email::OOO {
            for w in starts(p) {
                lex.update(w, |e| e.ooo = true);
            }
        }
        lex
    }

    fn hash(w: &str) -> usize {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in w.bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        usize::try_from((h ^ (h >> 32)) & 0xffff).unwrap_or(0) % SLOTS
    }

    /// Updates the entry of `w`, created if new.
    fn update(&mut self, w: &'static str, f: impl FnOnce(&mut Entry)) {
        let mut i = Self::hash(w);
        for _ in 0..SLOTS {
            match self.slots.get(i).copied() {
                Some(0) => {
                    self.entries.push(Entry {
                        word: w,
                        ..Entry::default()
                    });
                    if let (Some(slot), Ok(idx)) =
                        (self.slots.get_mut(i), u16::try_from(self.entries.len()))
                    {
                        *slot = idx;
                    }
                    if let Some(e) = self.entries.last_mut() {
                        f(e);
                    }
                    return;
                }
                Some(idx) => {
                    if let Some(e) = self.entries.get_mut(usize::from(idx) - 1)
                        && e.word == w
                    {
                        f(e);
                        return;
                    }
                    i = (i + 1) % SLOTS;
                }
                None => return,
            }
        }
    }

    /// The entry index + 1 of `w`, or 0.
    pub(crate) fn find(&self, w: &str) -> u16 {
        if w.is_empty() {
            return 0;
        }
        let mut i = Self::hash(w);
        loop {
            match self.slots.get(i).copied() {
                Some(0) | None => return 0,
                Some(idx) => {
                    if self
                        .entries
                        .get(usize::from(idx) - 1)
                        .is_some_and(|e| e.word == w)
                    {
                        return idx;
                    }
                    i = (i + 1) % SLOTS;
                }
            }
        }
    }

    pub(crate) fn get(&self, idx: u16) -> Option<&Entry> {
        usize::from(idx)
            .checked_sub(1)
            .and_then(|i| self.entries.get(i))
    }
}

/// The words a pattern can start with: those of its optional leading slots and of its first
/// required one.
fn starts(pat: &[S]) -> Vec<&'static str> {
    let mut out = Vec::new();
    for slot in pat {
        match *slot {
            R(ws) => {
                out.extend_from_slice(ws);
                return out;
            }
            O(ws) => out.extend_from_slice(ws),
            Neg => {
                out.extend_from_slice(&["dont", "donot", "never", "do"]);
                return out;
            }
        }
    }
    out
}

static LEXICON: LazyLock<Lexicon> = LazyLock::new(Lexicon::build);

pub(crate) fn lexicon() -> &'static Lexicon {
    &LEXICON
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> OptOutConfig {
        OptOutConfig::default()
    }

    #[test]
    fn codes() {
        assert!(is_code("12345"));
        assert!(is_code("a7"));
        assert!(!is_code("acme"));
        assert!(!is_code("12345678901234567"));
    }

    #[test]
    fn grammar_optional_and_exact() {
        let n = Normalized::new("take me off your mailing list please");
        let p = &[
            R(&["take"]),
            R(&["me"]),
            R(&["off"]),
            O(&["your"]),
            O(&["mailing"]),
            R(&["list"]),
        ];
        assert_eq!(match_pat(p, &n, 0, n.len(), false), Some(6));
        assert_eq!(match_pat(p, &n, 0, n.len(), true), None);
        assert_eq!(match_pat(p, &n, 0, 6, true), Some(6));
        let n = Normalized::new("do not contact me");
        assert_eq!(
            match_pat(&[Neg, R(&["contact"]), R(&["me"])], &n, 0, n.len(), true),
            Some(4)
        );
    }

    #[test]
    fn fillers_strip_both_ends() {
        let n = Normalized::new("hi please stop thank you");
        assert_eq!(strip_trailing(&n, 0, n.len()), 3);
        assert_eq!(strip_leading(&n, 0, n.len()), Some((1, false)));
        let n = Normalized::new("can you stop");
        assert_eq!(strip_leading(&n, 0, n.len()), Some((2, true)));
    }

    #[test]
    fn whole_keyword_rules() {
        let c = cfg();
        let k = |s: &str| {
            let n = Normalized::new(s);
            whole_keyword(&n, 0, n.len(), &c, true)
                .map(|h| (h.kind, n.span(h.start, h.end).to_owned()))
        };
        assert_eq!(k("STOP"), Some((Kind::OptOut, "STOP".into())));
        assert_eq!(k("stop stop stop"), Some((Kind::OptOut, "stop".into())));
        assert_eq!(k("STOP 12345"), Some((Kind::OptOut, "STOP".into())));
        assert_eq!(k("STOP ALL"), Some((Kind::OptOut, "STOP ALL".into())));
        assert_eq!(k("s t o p"), Some((Kind::OptOut, "s t o p".into())));
        assert_eq!(k("I need to cancel"), None);
        assert_eq!(k("Cancel it"), None);
        assert_eq!(k("stop lying"), None);
        assert_eq!(k("Yes please"), Some((Kind::OptIn, "Yes".into())));
        assert_eq!(k("can you help"), None);
        assert_eq!(k("please"), None);
    }

    #[test]
    fn negation_and_bridges() {
        let n = Normalized::new("i dont want to unsubscribe");
        assert!(negated(&n, 0, 4));
        let n = Normalized::new("im not sure how to unsubscribe");
        assert!(!negated(&n, 0, 5));
        let n = Normalized::new("if you dont stop texting me");
        assert!(!negated(&n, 0, 3));
    }

    #[test]
    fn lexicon_indexes_every_table_entry() {
        assert!(LEADING_POLITE.len() <= 128 && LEADING_REQUEST.len() <= 128);
        assert!(TRAILING.len() <= 128);
        assert!(CORE_KEYWORDS.len() + TRANSLATED_KEYWORDS.len() <= 128);
        assert!(PHRASES.len() + TRANSLATED_PHRASES.len() <= 128);
        let lex = lexicon();
        let e = |w: &str| lex.get(lex.find(w)).cloned().unwrap_or_default();
        for (k, p) in PHRASES.iter().chain(TRANSLATED_PHRASES).enumerate() {
            for w in starts(p.pat) {
                assert_ne!(e(w).phrases & bit(k), 0, "{w}");
            }
        }
        for (k, kw) in CORE_KEYWORDS.iter().chain(TRANSLATED_KEYWORDS).enumerate() {
            let w = kw.words.first().copied().unwrap_or("");
            assert_ne!(e(w).keywords & bit(k), 0, "{w}");
        }
        for (k, f) in TRAILING.iter().enumerate() {
            let w = f.last().copied().unwrap_or("");
            assert_ne!(e(w).trailing & bit(k), 0, "{w}");
        }
        for (k, f) in LEADING_POLITE.iter().enumerate() {
            let w = f.first().copied().unwrap_or("");
            assert_ne!(e(w).polite & bit(k), 0, "{w}");
        }
        assert!(e("out").ooo);
        assert_eq!(lex.find("terrible"), 0);
        assert_eq!(lex.find(""), 0);
        assert_eq!(bits(0b1010).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(bits(1 << 127).collect::<Vec<_>>(), [127]);
    }
}
