//! The three page languages and their strings. A missing key shows the key itself, so a
//! forgotten translation is visible rather than silent.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Ar,
    Fr,
    En,
}

impl Lang {
    pub fn parse(code: &str) -> Option<Lang> {
        match code {
            "ar" => Some(Lang::Ar),
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Ar => "ar",
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    pub fn native(self) -> &'static str {
        match self {
            Lang::Ar => "العربية",
            Lang::Fr => "Français",
            Lang::En => "English",
        }
    }
}

/// (key, Arabic, French, English).
const STRINGS: &[(&str, &str, &str, &str)] = &[
    ("overview", "نظرة عامة", "Vue d'ensemble", "Overview"),
    ("tree", "شجرة الهيئات", "Arbre des organes", "Tree of bodies"),
    ("search", "بحث", "Recherche", "Search"),
    ("log", "السجل", "Journal", "Log"),
    ("language", "اللغة", "Langue", "Language"),
    ("navigation", "التصفح", "Navigation", "Navigation"),
    ("skip", "انتقل إلى المحتوى", "Aller au contenu", "Skip to content"),
    ("sign_in", "تسجيل الدخول", "Se connecter", "Sign in"),
    ("sign_out", "تسجيل الخروج", "Se déconnecter", "Sign out"),
    ("record", "تسجيل", "Enregistrer", "Record"),
    ("as_recorded_at", "كما سُجّل عند الموضع", "Tel qu'enregistré à la position", "As recorded at position"),
    ("recorded_notice", "تعرض هذه الصفحة السجل كما كان عند الموضع", "Cette page montre le registre tel qu'il était à la position", "This page shows the registry as it stood at position"),
    ("back_to_now", "العودة إلى الآن", "Revenir au présent", "Back to now"),
    ("as_of", "في تاريخ", "À la date du", "As of"),
    ("shown_as_of", "معروض في تاريخ", "Affiché à la date du", "Shown as of"),
    ("date_hint", "أمثلة:", "exemples :", "e.g."),
    ("go", "اعرض", "Afficher", "Show"),
    ("posts", "المناصب", "Postes", "Posts"),
    ("seats", "مقاعد", "sièges", "seats"),
    ("holders", "الأعضاء الحاليون", "Titulaires", "Current holders"),
    ("past_holders", "الأعضاء السابقون", "Anciens titulaires", "Past holders"),
    ("sub_bodies_lower", "هيئات فرعية", "sous-organes", "sub-bodies"),
    ("sub_bodies", "الهيئات الفرعية", "Sous-organes", "Sub-bodies"),
    ("assemblies", "الجموع", "Assemblées", "Assemblies"),
    ("assembly", "الجمع", "Assemblée", "Assembly"),
    ("person", "الشخص", "Personne", "Person"),
    ("post", "المنصب", "Poste", "Post"),
    ("body", "الهيئة", "Organe", "Body"),
    ("area", "المجال الترابي", "Territoire", "Area"),
    ("mandate", "المهمة", "Mandat", "Mandate"),
    ("kind", "النوع", "Type", "Kind"),
    ("parent", "الهيئة الأم", "Organe parent", "Parent body"),
    ("founded_on", "تاريخ التأسيس", "Fondé le", "Founded on"),
    ("dissolved_on", "تاريخ الحل", "Dissous le", "Dissolved on"),
    ("venue", "المكان", "Lieu", "Venue"),
    ("from", "من", "Du", "From"),
    ("to", "إلى", "Au", "To"),
    ("basis", "الأساس", "Fondement", "Basis"),
    ("constituency", "الدائرة", "Circonscription", "Constituency"),
    ("possible", "محتمل", "possible", "possible"),
    ("mandates", "المهام", "Mandats", "Mandates"),
    ("mandates_produced", "المهام الناتجة", "Mandats issus de l'assemblée", "Mandates it produced"),
    ("attended", "الجموع التي حضرها", "Assemblées suivies", "Assemblies attended"),
    ("attendance", "الحضور", "Présents", "Attendance"),
    ("resolutions", "المقررات", "Résolutions", "Resolutions"),
    ("audit", "التدقيق", "Audit", "Audit"),
    ("provenance", "المصدر والسلسلة", "Provenance", "Provenance"),
    ("provenance_hint", "كل حدث مخزن يخص هذه المهمة: من سجله ومتى ومن أي مصدر وبصمته في السلسلة.", "Chaque événement enregistré qui concerne ce mandat : qui l'a enregistré, quand, sur quelle source, et son empreinte dans la chaîne.", "Every stored event that concerns this mandate: who recorded it, when, from which source, and its hash in the chain."),
    ("chain", "سلسلة البصمات", "Chaîne d'empreintes", "Hash chain"),
    ("chain_hint", "يعيد حساب بصمة كل حدث من بصمة سابقه ومحتواه.", "Recalcule l'empreinte de chaque événement à partir de la précédente et de son contenu.", "Recomputes every event's hash from the previous hash and its stored bytes."),
    ("verify", "تحقق من السلسلة", "Vérifier la chaîne", "Verify the chain"),
    ("chain_ok", "السلسلة سليمة", "La chaîne est intègre", "The chain verifies"),
    ("chain_bad", "السلسلة معطوبة عند", "Chaîne rompue à", "The chain is broken at"),
    ("position", "الموضع", "Position", "Position"),
    ("from_position", "من الموضع", "À partir de la position", "From position"),
    ("type", "النوع", "Type", "Type"),
    ("actor", "المسجِّل", "Auteur", "Actor"),
    ("recorded_at", "وقت التسجيل", "Enregistré le", "Recorded at"),
    ("recorded_on", "يوم التسجيل", "Jour d'enregistrement", "Recorded on"),
    ("source", "المصدر", "Source", "Source"),
    ("source_hint", "المحضر، تقرير صحفي، مقرر...", "procès-verbal, article de presse, décision…", "minutes, press report, decree…"),
    ("hash", "البصمة", "Empreinte", "Hash"),
    ("content", "المحتوى", "Contenu", "Content"),
    ("retracted_by", "سُحب بالحدث", "Rétracté par", "Retracted by"),
    ("retracts", "يسحب الحدث", "Rétracte", "Retracts"),
    ("corrects", "يصحح", "Corrige", "Corrects"),
    ("entity", "الكيان", "Entité", "Entity"),
    ("next", "التالي", "Suivant", "Next"),
    ("previous", "السابق", "Précédent", "Previous"),
    ("events", "الأحداث", "Événements", "Events"),
    ("persons", "الأشخاص", "Personnes", "People"),
    ("bodies", "الهيئات", "Organes", "Bodies"),
    ("registry", "السجل في أرقام", "Le registre", "The registry"),
    ("head_hash", "بصمة آخر حدث", "Empreinte du dernier événement", "Hash of the last event"),
    ("recent_changes", "آخر التغييرات", "Derniers changements", "Recent changes"),
    ("whole_tree", "الشجرة كاملة", "Tout l'arbre", "The whole tree"),
    ("whole_history", "التاريخ الكامل", "Tout l'historique", "The whole history"),
    ("token", "الرمز", "Jeton", "Token"),
    ("signin_hint", "الصق رمزا من ملف الرموز (أو الرمز الذي طبعه sijill serve --demo). يبقى الرمز على الخادم ولا يحفظ في المتصفح.", "Collez un jeton du fichier de jetons (ou celui qu'affiche sijill serve --demo). Le jeton reste au serveur et n'est pas gardé par le navigateur.", "Paste a token from the token file (or the one sijill serve --demo prints). The token stays with the server; the browser keeps only a session."),
    ("unknown_token", "رمز غير معروف: الصق رمزا من ملف الرموز", "Jeton inconnu : collez un jeton du fichier de jetons", "Unknown token: paste a token from the token file"),
    ("form_expired", "انتهت صلاحية الاستمارة: أعد تحميلها ثم أرسلها من جديد", "Le formulaire a expiré : rechargez-le puis envoyez-le à nouveau", "The form has expired: reload it and submit again"),
    ("needs_registrar", "التسجيل يتطلب رمز مسجِّل", "Enregistrer demande un jeton de greffier", "Recording needs a registrar's token"),
    ("sign_in_first", "سجل الدخول برمز مسجِّل أولا", "Connectez-vous d'abord avec un jeton de greffier", "Sign in with a registrar's token first"),
    ("record_intro", "سجل نتائج جمع عام دفعة واحدة: كل سطر أمر. لا يسجل شيء إلا إذا كانت كل الأسطر صحيحة.", "Enregistrez l'issue d'une assemblée en un seul lot : une ligne par commande. Rien n'est enregistré si une ligne est invalide.", "Record an assembly's outcome as one batch: one command per row. Nothing is recorded unless every row is valid."),
    ("nothing_recorded", "لم يسجل شيء: صحح الحقول المشار إليها أدناه", "Rien n'a été enregistré : corrigez les champs signalés ci-dessous", "Nothing was recorded: fix the fields marked below"),
    ("fill_a_row", "اختر أمرا في سطر واحد على الأقل", "Choisissez une commande sur au moins une ligne", "Choose a command on at least one row"),
    ("recorded_ok", "سُجّل في المواضع", "Enregistré aux positions", "Recorded at positions"),
    ("row", "السطر", "Ligne", "Row"),
    ("f_command", "الأمر", "Commande", "Command"),
    ("f_reason", "السبب", "Motif", "Reason"),
    ("f_mandate", "المهمة", "Mandat", "Mandate"),
    ("f_person", "الشخص", "Personne", "Person"),
    ("f_post", "المنصب", "Poste", "Post"),
    ("f_entity", "الكيان", "Entité", "Entity"),
    ("f_handle", "المعرف الجديد", "Nouvel identifiant", "New handle"),
    ("f_name", "الاسم", "Nom", "Name"),
    ("f_kind", "نوع الهيئة", "Type d'organe", "Body kind"),
    ("f_parent", "الهيئة الأم", "Organe parent", "Parent body"),
    ("f_date", "التاريخ", "Date", "Date"),
    ("f_assembly", "الجمع", "Assemblée", "Assembly"),
    ("f_constituency", "الدائرة", "Circonscription", "Constituency"),
    ("f_field", "الحقل المصحح", "Champ corrigé", "Date field"),
    ("f_position", "الموضع المسحوب", "Position rétractée", "Position to retract"),
    ("f_note", "السبب", "Raison", "Reason"),
    ("c_register_person", "تسجيل شخص", "Inscrire une personne", "Register a person"),
    ("c_convene_assembly", "تسجيل جمع", "Enregistrer une assemblée", "Record an assembly"),
    ("f_body", "الهيئة", "Organe", "Body"),
    ("f_venue", "المكان", "Lieu", "Venue"),
    ("f_assembly_kind", "نوع الجمع", "Type d'assemblée", "Assembly kind"),
    ("more_rows", "أسطر أكثر (ما كُتب يضيع)", "Plus de lignes (ce qui est saisi est perdu)", "More rows (what is typed is lost)"),
    ("code", "الرمز", "Code", "Code"),
    ("sub_areas", "المجالات الترابية الفرعية", "Subdivisions", "Subdivisions"),
    ("c_found_body", "تأسيس هيئة", "Fonder un organe", "Found a body"),
    ("c_start_mandate", "بداية مهمة (انتخاب، توافق، تعيين)", "Début de mandat (élection, consensus, nomination)", "Start a mandate (elect, consensus, appoint)"),
    ("c_end_mandate", "نهاية مهمة", "Fin de mandat", "End a mandate"),
    ("c_correct_name", "تصحيح اسم", "Corriger un nom", "Correct a name"),
    ("c_correct_date", "تصحيح تاريخ", "Corriger une date", "Correct a date"),
    ("c_retract_event", "سحب حدث", "Rétracter un événement", "Retract an event"),
    ("not_found", "غير موجود", "Introuvable", "Not found"),
    ("not_a_mandate", "ليست مهمة", "n'est pas un mandat", "is not a mandate"),
    ("error", "خطأ", "Erreur", "Error"),
    ("org_chart", "الهيكل التنظيمي", "Organigramme", "Organisation chart"),
    ("timeline", "الخط الزمني", "Chronologie", "Timeline"),
    ("timeline_hint", "الأجزاء المخططة تواريخ غير مؤكدة: قد يقع البدء أو الانتهاء في أي يوم منها.", "Les parties hachurées sont des dates incertaines : le début ou la fin tombe quelque part dedans.", "Hatched parts are uncertain dates: the start or end falls somewhere within them."),
    ("more", "آخرون", "de plus", "more"),
    ("vacant", "شاغر", "vacant", "vacant"),
    ("none", "لا شيء", "Aucun", "None"),
    ("no_bodies", "لا توجد هيئة في هذا التاريخ", "Aucun organe à cette date", "No body at this date"),
    ("no_results", "لا نتائج", "Aucun résultat", "No results"),
    ("search_hint", "الأسماء بكل الخطوط؛ الهمزة والتهجئة وترتيب الكلمات لا تهم.", "Noms dans toutes les écritures ; hamza, orthographe et ordre des mots n'importent pas.", "Names in any script; hamza, spelling and word order do not matter."),
    ("held_on", "انعقد في", "Tenue le", "Held on"),
];

/// The string `key` in `lang`.
pub fn t(lang: Lang, key: &'static str) -> &'static str {
    STRINGS
        .iter()
        .find(|s| s.0 == key)
        .map(|s| match lang {
            Lang::Ar => s.1,
            Lang::Fr => s.2,
            Lang::En => s.3,
        })
        .unwrap_or(key)
}

/// The registry's own codes (body, area and assembly kinds, how a mandate was obtained), as
/// a reader of each language says them. Kinds are data, so a code not listed here is shown
/// as it is.
const TERMS: &[(&str, &str, &str, &str)] = &[
    ("party", "حزب", "parti", "party"),
    ("association", "جمعية", "association", "association"),
    (
        "national-bureau",
        "المكتب الوطني",
        "bureau national",
        "national bureau",
    ),
    (
        "political-bureau",
        "المكتب السياسي",
        "bureau politique",
        "political bureau",
    ),
    (
        "central-committee",
        "اللجنة المركزية",
        "comité central",
        "central committee",
    ),
    (
        "national-council",
        "المجلس الوطني",
        "conseil national",
        "national council",
    ),
    (
        "regional-branch",
        "فرع جهوي",
        "section régionale",
        "regional branch",
    ),
    (
        "provincial-coordination",
        "تنسيقية إقليمية",
        "coordination provinciale",
        "provincial coordination",
    ),
    (
        "provincial-secretariat",
        "كتابة إقليمية",
        "secrétariat provincial",
        "provincial secretariat",
    ),
    (
        "commune-council",
        "مجلس جماعي",
        "conseil communal",
        "commune council",
    ),
    ("chamber", "غرفة", "chambre", "chamber"),
    ("parliament", "برلمان", "parlement", "parliament"),
    ("region", "جهة", "région", "region"),
    ("province", "إقليم", "province", "province"),
    ("prefecture", "عمالة", "préfecture", "prefecture"),
    ("commune", "جماعة", "commune", "commune"),
    ("other", "أخرى", "autre", "other"),
    (
        "founding_general_assembly",
        "جمع عام تأسيسي",
        "assemblée générale constitutive",
        "founding general assembly",
    ),
    (
        "general_assembly",
        "جمع عام",
        "assemblée générale",
        "general assembly",
    ),
    ("congress", "مؤتمر", "congrès", "congress"),
    (
        "council_session",
        "دورة المجلس",
        "session du conseil",
        "council session",
    ),
    (
        "bureau_meeting",
        "اجتماع المكتب",
        "réunion du bureau",
        "bureau meeting",
    ),
    ("elected", "منتخب", "élu", "elected"),
    (
        "elected_unanimously",
        "منتخب بالإجماع",
        "élu à l'unanimité",
        "elected unanimously",
    ),
    (
        "elected_by_majority",
        "منتخب بالأغلبية",
        "élu à la majorité",
        "elected by majority",
    ),
    (
        "elected_by_acclamation",
        "منتخب بالتزكية",
        "élu par acclamation",
        "elected by acclamation",
    ),
    (
        "chosen_by_consensus",
        "بالتوافق",
        "choisi par consensus",
        "chosen by consensus",
    ),
    ("appointed", "معيّن", "nommé", "appointed"),
    ("co_opted", "ملحق بالاستقطاب", "coopté", "co-opted"),
    ("ex_officio", "بحكم المنصب", "de droit", "ex officio"),
    ("not_stated", "غير مذكور", "non précisé", "not stated"),
    ("resigned", "استقالة", "démission", "resigned"),
    ("removed", "إعفاء", "révocation", "removed"),
    (
        "term_expired",
        "انتهاء الولاية",
        "fin du mandat",
        "term expired",
    ),
    ("died", "وفاة", "décès", "died"),
    ("replaced", "استبدال", "remplacement", "replaced"),
    (
        "body_dissolved",
        "حل الهيئة",
        "dissolution de l'organe",
        "body dissolved",
    ),
];

/// A registry code in `lang`, or the code itself when it is not a known one.
pub fn term(lang: Lang, code: &str) -> &str {
    TERMS
        .iter()
        .find(|entry| entry.0 == code)
        .map_or(code, |entry| match lang {
            Lang::Ar => entry.1,
            Lang::Fr => entry.2,
            Lang::En => entry.3,
        })
}

#[cfg(test)]
mod term_tests {
    use super::{term, Lang};

    #[test]
    fn known_codes_are_translated_and_others_shown_as_they_are() {
        assert_eq!(term(Lang::Ar, "provincial-coordination"), "تنسيقية إقليمية");
        assert_eq!(
            term(Lang::Fr, "chosen_by_consensus"),
            "choisi par consensus"
        );
        assert_eq!(term(Lang::En, "co_opted"), "co-opted");
        assert_eq!(term(Lang::Ar, "youth-wing"), "youth-wing");
    }
}
