//! The simulated country: areas, people, bodies and posts, and who holds what, kept in step
//! with the commands emitted so that every command is valid against the registry they build.
//!
//! The generator only ever emits what the domain accepts: mandates start when the previous
//! holders' terms end (on the same day: ends are exclusive), seats are never exceeded, a person
//! never holds a post twice, dead people hold nothing new, dissolved bodies do nothing.

use chrono::{Datelike, NaiveDate};
use sijill_domain::command::{
    AdoptResolution, Attendee, ConveneAssembly, CorrectDate, CorrectName, DissolveBody, EndMandate,
    EstablishPost, FoundBody, RecordAttendance, RegisterArea, RegisterPerson, RenameBody,
    StartMandate,
};
use sijill_domain::names::Note;
use sijill_domain::values::{AssemblyKind, BodyKind, DateField, Seats, Tally, Vote};
use sijill_domain::{
    AreaKind, Basis, Command, EdtfDate, EndReason, EntityRef, Gender, Handle, Names,
};

use crate::geo::{self, REGIONS};
use crate::people::{person_name, slug};
use crate::rng::Rng;
use crate::Scale;

pub(crate) type Batch = Vec<Command>;

/// Most commands in one people-registration batch (a province's member roll).
const PEOPLE_BATCH_MAX: usize = 1_000;

pub(crate) struct Party {
    pub arabic: &'static str,
    pub french: &'static str,
    pub slug: &'static str,
    pub founded: &'static str,
    /// Relative share of affiliated people.
    pub weight: u32,
}

/// Fictional parties: the synthetic registry must not put invented people into real ones.
pub(crate) const PARTIES: &[Party] = &[
    Party {
        arabic: "حزب الوحدة والتقدم",
        french: "Parti de l'unité et du progrès",
        slug: "pup",
        founded: "1959",
        weight: 25,
    },
    Party {
        arabic: "حزب العدالة الاجتماعية",
        french: "Parti de la justice sociale",
        slug: "pjs",
        founded: "1974",
        weight: 20,
    },
    Party {
        arabic: "حزب التجمع الديمقراطي",
        french: "Parti du rassemblement démocratique",
        slug: "prd",
        founded: "1978",
        weight: 15,
    },
    Party {
        arabic: "حزب الأصالة والتجديد",
        french: "Parti de l'authenticité et du renouveau",
        slug: "par",
        founded: "1991",
        weight: 12,
    },
    Party {
        arabic: "حزب العمل الوطني",
        french: "Parti de l'action nationale",
        slug: "pan",
        founded: "1996-06",
        weight: 10,
    },
    Party {
        arabic: "حزب البيئة والتنمية",
        french: "Parti de l'environnement et du développement",
        slug: "ped",
        founded: "1999-03-11",
        weight: 8,
    },
    Party {
        arabic: "حزب الحركة الشعبية الجديدة",
        french: "Parti du nouveau mouvement populaire",
        slug: "pnmp",
        founded: "1997?",
        weight: 6,
    },
    Party {
        arabic: "حزب الكرامة",
        french: "Parti de la dignité",
        slug: "pdd",
        founded: "1983~",
        weight: 4,
    },
];

/// Commune and chamber elections (the real dates, then every six years).
const LOCAL_ELECTIONS: &[(i32, u32, u32)] = &[
    (1997, 6, 13),
    (2003, 9, 12),
    (2009, 6, 12),
    (2015, 9, 4),
    (2021, 9, 8),
];
/// Elections to the House of Representatives (the real dates, then every five years).
const GENERAL_ELECTIONS: &[(i32, u32, u32)] = &[
    (1997, 11, 14),
    (2002, 9, 27),
    (2007, 9, 7),
    (2011, 11, 25),
    (2016, 10, 7),
    (2021, 9, 8),
];

const CHAMBERS: &[(&str, &str, &str)] = &[
    ("agriculture", "غرفة الفلاحة", "Chambre d'agriculture"),
    (
        "commerce",
        "غرفة التجارة والصناعة والخدمات",
        "Chambre de commerce, d'industrie et de services",
    ),
    ("crafts", "غرفة الصناعة التقليدية", "Chambre d'artisanat"),
];

const RESOLUTIONS: &[(&str, &str)] = &[
    ("المصادقة على التقرير الأدبي", "adoption du rapport moral"),
    (
        "المصادقة على التقرير المالي",
        "adoption du rapport financier",
    ),
    (
        "المصادقة على برنامج العمل السنوي",
        "adoption du programme d'action annuel",
    ),
    ("المصادقة على الميزانية", "adoption du budget"),
    (
        "المصادقة على اتفاقيات الشراكة",
        "approbation des conventions de partenariat",
    ),
    ("البيان الختامي", "déclaration finale"),
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    Party,
    PoliticalBureau,
    CentralCommittee,
    NationalCouncil,
    Association,
    AssociationBureau,
    RegionalBranch,
    ProvincialSecretariat,
    Coordination,
    LocalSection,
    CommuneCouncil,
    Chamber,
    Parliament,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Party => "party",
            Kind::PoliticalBureau => "political-bureau",
            Kind::CentralCommittee => "central-committee",
            Kind::NationalCouncil => "national-council",
            Kind::Association => "association",
            Kind::AssociationBureau => "national-bureau",
            Kind::RegionalBranch => "regional-branch",
            Kind::ProvincialSecretariat => "provincial-secretariat",
            Kind::Coordination => "provincial-coordination",
            Kind::LocalSection => "local-section",
            Kind::CommuneCouncil => "commune-council",
            Kind::Chamber => "chamber",
            Kind::Parliament => "parliament",
        }
    }

    /// Bodies whose members are elected at another body's assembly (the party congress).
    pub(crate) fn elected_at_parent_congress(self) -> bool {
        matches!(
            self,
            Kind::PoliticalBureau
                | Kind::CentralCommittee
                | Kind::NationalCouncil
                | Kind::AssociationBureau
        )
    }
}

/// Where a body finds its members.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Scope {
    Commune(u32),
    Province(u32),
    Region(u32),
    National,
}

pub(crate) struct Region {
    pub handle: Handle,
    /// Its index in [`REGIONS`] (its official number less one).
    pub data: usize,
    pub latin: String,
    pub provinces: Vec<u32>,
    /// The region's chambers (body indexes), as constituencies.
    pub chambers: Vec<u32>,
}

pub(crate) struct Province {
    pub handle: Handle,
    pub arabic: &'static str,
    pub latin: &'static str,
    pub region: u32,
    /// Its index in its region's list.
    pub data: usize,
    pub communes: Vec<u32>,
    /// Seats in the House of Representatives.
    pub seats: u32,
}

pub(crate) struct Commune {
    pub handle: Handle,
    pub arabic: String,
    pub latin: String,
    pub province: u32,
}

pub(crate) struct Person {
    pub handle: Handle,
    pub commune: u32,
    pub name: Names,
    pub gender: Option<Gender>,
    pub dead: bool,
}

pub(crate) struct Body {
    pub handle: Handle,
    pub kind: Kind,
    pub party: Option<u8>,
    pub scope: Scope,
    pub parent: Option<u32>,
    pub posts: Vec<u32>,
    pub term_years: i32,
    pub anchor_year: i32,
    pub election_day: u32,
    /// Founded (or recorded as existing) and not dissolved.
    pub active: bool,
    /// The day it was founded, if in the simulated years: nothing happens in it before.
    pub since: Option<NaiveDate>,
    /// The year a body not yet founded will be, if planned.
    pub planned: Option<i32>,
    pub assemblies_held: u32,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Role {
    Head,
    Deputy,
    Member,
}

pub(crate) struct Post {
    pub handle: Handle,
    pub body: u32,
    pub role: Role,
    pub seats: Option<u32>,
    /// How many holders an election fills.
    pub target: u32,
    pub holders: Vec<Holder>,
    /// Established after the simulation began (a new post), or abolished.
    pub open: bool,
}

pub(crate) struct Holder {
    pub mandate: Handle,
    pub person: u32,
    pub since: NaiveDate,
    /// What the holder represents, if anything.
    pub constituency: Option<EntityRef>,
}

pub(crate) struct World {
    pub scale: Scale,
    pub rng: Rng,
    pub regions: Vec<Region>,
    pub provinces: Vec<Province>,
    pub communes: Vec<Commune>,
    pub people: Vec<Person>,
    /// `[person]`: the posts each person holds now.
    pub held: Vec<Vec<u32>>,
    /// People living in each commune.
    pub residents: Vec<Vec<u32>>,
    /// `[party][commune]`: people affiliated with a party, by commune.
    pub members: Vec<Vec<Vec<u32>>>,
    pub bodies: Vec<Body>,
    pub posts: Vec<Post>,
    /// `[party]`: the party's national body indexes, by kind.
    pub party_bodies: Vec<PartyBodies>,
    pub parliament: Option<u32>,
    /// `[commune]`: its council.
    pub councils: Vec<u32>,
    /// `[party][commune]`: its local section, if any.
    pub sections: Vec<Vec<Option<u32>>>,
    pub next_assembly: u32,
    pub next_mandate: u32,
}

#[derive(Default, Clone)]
pub(crate) struct PartyBodies {
    pub party: u32,
    pub political_bureau: u32,
    pub central_committee: u32,
    pub national_council: u32,
    pub association: u32,
    pub association_bureau: u32,
    pub branches: Vec<u32>,
    pub secretariats: Vec<u32>,
    pub coordinations: Vec<u32>,
}

/// Rabat-Salé-Kénitra, home of Khemisset province.
const SEED_REGION: usize = 3;

/// The provinces of a region, the seed's province (Khemisset) first.
fn province_order(region: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..REGIONS[region].provinces.len()).collect();
    order.sort_by_key(|p| REGIONS[region].provinces[*p].latin != "Khémisset");
    order
}

pub(crate) fn handle(text: &str) -> Handle {
    match Handle::parse(text) {
        Ok(handle) => handle,
        Err(error) => panic!("generated handle `{text}` is invalid: {error}"),
    }
}

pub(crate) fn reference(handle: &Handle) -> EntityRef {
    EntityRef::Handle(handle.clone())
}

pub(crate) fn names(arabic: &str, french: &str) -> Names {
    let names =
        Names::tagged(arabic, Some("ar")).and_then(|names| names.with_other(french, Some("fr")));
    names.unwrap_or_else(|error| panic!("generated name `{arabic}` is invalid: {error}"))
}

pub(crate) fn exact(date: NaiveDate) -> EdtfDate {
    EdtfDate::from_naive(date)
}

pub(crate) fn edtf(text: &str) -> EdtfDate {
    text.parse()
        .unwrap_or_else(|error| panic!("generated date `{text}` is invalid: {error}"))
}

pub(crate) fn day_of(year: i32, ordinal: u32) -> NaiveDate {
    NaiveDate::from_yo_opt(year, ordinal.clamp(1, 365))
        .unwrap_or_else(|| panic!("day {ordinal} of {year}"))
}

fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day)
        .unwrap_or_else(|| panic!("{year}-{month}-{day} is not a date"))
}

fn note(text: &str) -> Note {
    Note::new(text).unwrap_or_else(|error| panic!("generated note `{text}` is invalid: {error}"))
}

/// The date of the election in `year` of a national schedule, if that year has one.
fn scheduled(schedule: &[(i32, u32, u32)], step: i32, year: i32) -> Option<NaiveDate> {
    if let Some((y, m, d)) = schedule.iter().find(|(y, _, _)| *y == year) {
        return Some(ymd(*y, *m, *d));
    }
    let (last, month, day) = *schedule.last()?;
    (year > last && (year - last) % step == 0).then(|| ymd(year, month, day))
}

impl World {
    pub fn new(scale: Scale, seed: u64) -> World {
        let mut rng = Rng::new(seed);
        let mut world = World {
            scale,
            rng: rng.fork(1),
            regions: Vec::new(),
            provinces: Vec::new(),
            communes: Vec::new(),
            people: Vec::new(),
            held: Vec::new(),
            residents: Vec::new(),
            members: Vec::new(),
            bodies: Vec::new(),
            posts: Vec::new(),
            party_bodies: Vec::new(),
            parliament: None,
            councils: Vec::new(),
            sections: Vec::new(),
            next_assembly: 0,
            next_mandate: 0,
        };
        world.build_areas(&mut rng.fork(2));
        world.build_people(&mut rng.fork(3));
        world
    }

    pub fn first_year(&self) -> i32 {
        self.scale.first_year
    }

    pub fn last_year(&self) -> i32 {
        self.scale.first_year + self.scale.years as i32 - 1
    }

    fn build_areas(&mut self, rng: &mut Rng) {
        let wanted = self.scale.regions.clamp(1, REGIONS.len());
        // A partial country starts with the seed's region and province (Khemisset).
        let mut regions: Vec<usize> = (0..REGIONS.len()).collect();
        if wanted < REGIONS.len() {
            regions.sort_by_key(|r| *r != SEED_REGION);
        }
        regions.truncate(wanted);
        let orders: Vec<Vec<usize>> = regions.iter().map(|r| province_order(*r)).collect();
        // Provinces taken region by region, round robin, so that every region has some.
        let mut chosen: Vec<(usize, usize)> = Vec::new();
        let most = orders.iter().map(Vec::len).max().unwrap_or(0);
        for rank in 0..most {
            for (r, order) in orders.iter().enumerate() {
                if rank < order.len() && chosen.len() < self.scale.provinces.max(regions.len()) {
                    chosen.push((r, order[rank]));
                }
            }
        }
        chosen.sort();
        for r in &regions {
            let data = &REGIONS[*r];
            self.regions.push(Region {
                handle: handle(&format!("@region-{}", slug(data.latin))),
                data: *r,
                latin: data.latin.to_owned(),
                provinces: Vec::new(),
                chambers: Vec::new(),
            });
        }
        let data: Vec<_> = chosen
            .iter()
            .map(|(r, p)| &REGIONS[regions[*r]].provinces[*p])
            .collect();
        let counts = geo::communes_per_province(&data, self.scale.communes);
        for ((r, p), (province, count)) in chosen.iter().zip(data.iter().zip(counts)) {
            let index = self.provinces.len() as u32;
            let kind = if province.prefecture {
                "prefecture"
            } else {
                "province"
            };
            let seats = if province.prefecture {
                3 + rng.between(0, 4)
            } else {
                2 + rng.between(0, 3)
            };
            self.regions[*r].provinces.push(index);
            let mut communes = Vec::new();
            for name in geo::commune_names(rng, province, count) {
                let number = self.communes.len() + 1;
                let handle = handle(&format!(
                    "@commune-{number}-{}",
                    truncated_slug(&slug(&name.latin), 40)
                ));
                communes.push(self.communes.len() as u32);
                self.communes.push(Commune {
                    handle,
                    arabic: name.arabic,
                    latin: name.latin,
                    province: index,
                });
            }
            self.provinces.push(Province {
                handle: handle(&format!("@{kind}-{}", geo::area_slug(province.latin))),
                arabic: province.arabic,
                latin: province.latin,
                region: *r as u32,
                data: *p,
                communes,
                seats,
            });
        }
    }

    fn build_people(&mut self, rng: &mut Rng) {
        let parties = self.scale.parties.clamp(1, PARTIES.len());
        let weights: Vec<u32> = PARTIES[..parties]
            .iter()
            .map(|party| party.weight)
            .collect();
        self.residents = vec![Vec::new(); self.communes.len()];
        self.members = vec![vec![Vec::new(); self.communes.len()]; parties];
        for index in 0..self.scale.people {
            let female = rng.chance(35);
            let name = person_name(rng, female);
            let mut names = Names::tagged(&name.printed, Some("ar"))
                .and_then(|n| n.with_other(&name.latin, Some("ar-Latn")));
            if let Some(variant) = &name.latin_variant {
                names = names.and_then(|n| n.with_other(variant, Some("ar-Latn")));
            }
            let names = names.unwrap_or_else(|error| {
                panic!("generated name `{}` is invalid: {error}", name.printed)
            });
            let gender = match rng.below(20) {
                0 => None,
                _ if female => Some(Gender::Female),
                _ => Some(Gender::Male),
            };
            let commune = rng.below(self.communes.len()) as u32;
            self.residents[commune as usize].push(index as u32);
            if rng.chance(70) {
                let party = rng.weighted(&weights);
                self.members[party][commune as usize].push(index as u32);
            }
            let handle = handle(&format!(
                "@{}-{}",
                truncated_slug(&name.slug, 40),
                index + 1
            ));
            self.people.push(Person {
                handle,
                commune,
                name: names,
                gender,
                dead: false,
            });
        }
        self.held = vec![Vec::new(); self.people.len()];
    }

    /// Batches that record the areas, one per region.
    pub fn area_batches(&self) -> Vec<Batch> {
        let mut batches = Vec::new();
        for region in &self.regions {
            let r = region.data;
            let data = &REGIONS[r];
            let mut batch: Batch = vec![RegisterArea {
                handle: region.handle.clone(),
                name: names(data.arabic, data.latin),
                kind: AreaKind::Region,
                parent: None,
                code: Some(code(&format!("{:02}", r + 1))),
            }
            .into()];
            for p in &region.provinces {
                let province = &self.provinces[*p as usize];
                let n = province.data;
                let kind = if province.handle.as_str().starts_with("@prefecture") {
                    AreaKind::Prefecture
                } else {
                    AreaKind::Province
                };
                batch.push(
                    RegisterArea {
                        handle: province.handle.clone(),
                        name: names(province.arabic, province.latin),
                        kind,
                        parent: Some(reference(&region.handle)),
                        code: Some(code(&format!("{:02}.{:02}", r + 1, n + 1))),
                    }
                    .into(),
                );
                for (m, c) in province.communes.iter().enumerate() {
                    let commune = &self.communes[*c as usize];
                    batch.push(
                        RegisterArea {
                            handle: commune.handle.clone(),
                            name: names(&commune.arabic, &commune.latin),
                            kind: AreaKind::Commune,
                            parent: Some(reference(&province.handle)),
                            code: Some(code(&format!("{:02}.{:02}.{:03}", r + 1, n + 1, m + 1))),
                        }
                        .into(),
                    );
                }
            }
            batches.push(batch);
        }
        batches
    }

    /// Batches that register everyone: each commune's residents, in rolls of at most
    /// [`PEOPLE_BATCH_MAX`].
    pub fn people_batches(&self) -> Vec<Batch> {
        let mut batches: Vec<Batch> = vec![Vec::new()];
        for residents in &self.residents {
            for person in residents {
                if batches
                    .last()
                    .is_some_and(|batch| batch.len() == PEOPLE_BATCH_MAX)
                {
                    batches.push(Vec::new());
                }
                let person = &self.people[*person as usize];
                let command = RegisterPerson {
                    handle: person.handle.clone(),
                    name: person.name.clone(),
                    gender: person.gender,
                };
                if let Some(batch) = batches.last_mut() {
                    batch.push(command.into());
                }
            }
        }
        batches.retain(|batch| !batch.is_empty());
        batches
    }

    // -----------------------------------------------------------------------------------------
    // Bodies and posts

    #[allow(clippy::too_many_arguments)]
    pub fn add_body(
        &mut self,
        handle: Handle,
        kind: Kind,
        party: Option<u8>,
        scope: Scope,
        parent: Option<u32>,
        term_years: i32,
        anchor_year: i32,
    ) -> u32 {
        let election_day = self.rng.between(20, 340);
        self.bodies.push(Body {
            handle,
            kind,
            party,
            scope,
            parent,
            posts: Vec::new(),
            term_years,
            anchor_year,
            election_day,
            active: false,
            since: None,
            planned: None,
            assemblies_held: 0,
        });
        (self.bodies.len() - 1) as u32
    }

    pub fn add_post(&mut self, body: u32, role: Role, seats: Option<u32>, target: u32) -> u32 {
        let index = self.posts.len() as u32;
        let body_slug = self.bodies[body as usize]
            .handle
            .as_str()
            .trim_start_matches('@')
            .to_owned();
        let role_slug = match role {
            Role::Head => "head",
            Role::Deputy => "deputy",
            Role::Member => "member",
        };
        let short = truncated_slug(&body_slug, 40);
        self.posts.push(Post {
            handle: handle(&format!("@{short}-{role_slug}-{}", index + 1)),
            body,
            role,
            seats,
            target,
            holders: Vec::new(),
            open: true,
        });
        self.bodies[body as usize].posts.push(index);
        index
    }

    pub fn body_name(&self, body: u32) -> Names {
        let b = &self.bodies[body as usize];
        let party = b.party.map(|p| &PARTIES[p as usize]);
        let (ar_party, fr_party) = party.map_or(("", ""), |p| (p.arabic, p.french));
        let place = |scope: Scope| -> (String, String) {
            match scope {
                Scope::Commune(c) => (
                    self.communes[c as usize].arabic.clone(),
                    self.communes[c as usize].latin.clone(),
                ),
                Scope::Province(p) => (
                    self.provinces[p as usize].arabic.to_owned(),
                    self.provinces[p as usize].latin.to_owned(),
                ),
                Scope::Region(r) => (
                    REGIONS[self.regions[r as usize].data].arabic.to_owned(),
                    self.regions[r as usize].latin.clone(),
                ),
                Scope::National => (String::new(), String::new()),
            }
        };
        let (ar_place, fr_place) = place(b.scope);
        let (arabic, french) = match b.kind {
            Kind::Party => (ar_party.to_owned(), fr_party.to_owned()),
            Kind::PoliticalBureau => (
                format!("الديوان السياسي ل{ar_party}"),
                format!("Bureau politique, {fr_party}"),
            ),
            Kind::CentralCommittee => (
                format!("اللجنة المركزية ل{ar_party}"),
                format!("Comité central, {fr_party}"),
            ),
            Kind::NationalCouncil => (
                format!("المجلس الوطني ل{ar_party}"),
                format!("Conseil national, {fr_party}"),
            ),
            Kind::Association => (
                format!("الجمعية الديمقراطية لمنتخبي {ar_party}"),
                format!("Association démocratique des élus, {fr_party}"),
            ),
            Kind::AssociationBureau => (
                format!("المكتب الوطني للجمعية الديمقراطية لمنتخبي {ar_party}"),
                format!("Bureau national de l'association des élus, {fr_party}"),
            ),
            Kind::RegionalBranch => (
                format!("الفرع الجهوي ل{ar_party} ب{ar_place}"),
                format!("Branche régionale {fr_place}, {fr_party}"),
            ),
            Kind::ProvincialSecretariat => (
                format!("الكتابة الإقليمية ل{ar_party} بإقليم {ar_place}"),
                format!("Secrétariat provincial {fr_place}, {fr_party}"),
            ),
            Kind::Coordination => (
                format!(
                    "التنسيقية الإقليمية للجمعية الديمقراطية لمنتخبي {ar_party} بإقليم {ar_place}"
                ),
                format!("Coordination provinciale {fr_place}, association des élus, {fr_party}"),
            ),
            Kind::LocalSection => (
                format!("فرع {ar_party} ب{ar_place}"),
                format!("Section {fr_place}, {fr_party}"),
            ),
            Kind::CommuneCouncil => (
                format!("المجلس الجماعي ل{ar_place}"),
                format!("Conseil communal de {fr_place}"),
            ),
            Kind::Chamber => unreachable!("chambers are named where they are created"),
            Kind::Parliament => (
                "مجلس النواب".to_owned(),
                "Chambre des représentants".to_owned(),
            ),
        };
        names(&arabic, &french)
    }

    pub fn post_title(&self, post: u32) -> Names {
        let p = &self.posts[post as usize];
        let kind = self.bodies[p.body as usize].kind;
        let (arabic, french) = match (kind, p.role) {
            (Kind::Party, Role::Head) => ("الأمين العام", "secrétaire général"),
            (Kind::Party, _) => ("نائب الأمين العام", "secrétaire général adjoint"),
            (Kind::PoliticalBureau, _) => ("عضو الديوان السياسي", "membre du bureau politique"),
            (Kind::CentralCommittee, _) => ("عضو اللجنة المركزية", "membre du comité central"),
            (Kind::NationalCouncil, _) => ("عضو المجلس الوطني", "membre du conseil national"),
            (Kind::Association, _) => ("الكاتب العام", "secrétaire général"),
            (Kind::AssociationBureau, _) => ("عضو المكتب الوطني", "membre du bureau national"),
            (Kind::RegionalBranch, Role::Head) => ("الكاتب الجهوي", "secrétaire régional"),
            (Kind::RegionalBranch, _) => ("عضو الكتابة الجهوية", "membre du secrétariat régional"),
            (Kind::ProvincialSecretariat, Role::Head) => {
                ("الكاتب الإقليمي", "secrétaire provincial")
            }
            (Kind::ProvincialSecretariat, _) => {
                ("عضو الكتابة الإقليمية", "membre du secrétariat provincial")
            }
            (Kind::Coordination, Role::Head) => ("المنسق الإقليمي", "coordinateur provincial"),
            (Kind::Coordination, _) => (
                "عضو التنسيقية الإقليمية",
                "membre de la coordination provinciale",
            ),
            (Kind::LocalSection, Role::Head) => ("كاتب الفرع", "secrétaire de section"),
            (Kind::LocalSection, _) => ("عضو مكتب الفرع", "membre du bureau de section"),
            (Kind::CommuneCouncil, Role::Head) => {
                ("رئيس المجلس الجماعي", "président du conseil communal")
            }
            (Kind::CommuneCouncil, Role::Deputy) => (
                "نائب رئيس المجلس الجماعي",
                "vice-président du conseil communal",
            ),
            (Kind::CommuneCouncil, Role::Member) => ("مستشار جماعي", "conseiller communal"),
            (Kind::Chamber, Role::Head) => ("رئيس الغرفة", "président de la chambre"),
            (Kind::Chamber, _) => ("عضو الغرفة", "membre de la chambre"),
            (Kind::Parliament, _) => ("عضو مجلس النواب", "membre de la Chambre des représentants"),
        };
        names(arabic, french)
    }

    /// The commands that found a body and establish its posts.
    pub fn founding_commands(&self, body: u32, name: Names, founded_on: Option<EdtfDate>) -> Batch {
        let b = &self.bodies[body as usize];
        let area = match b.scope {
            Scope::Commune(c) => Some(reference(&self.communes[c as usize].handle)),
            Scope::Province(p) => Some(reference(&self.provinces[p as usize].handle)),
            Scope::Region(r) => Some(reference(&self.regions[r as usize].handle)),
            Scope::National => None,
        };
        let mut batch: Batch = vec![FoundBody {
            handle: b.handle.clone(),
            name,
            kind: BodyKind::new(b.kind.as_str()).unwrap_or_else(|error| panic!("{error}")),
            parent: b.parent.map(|p| reference(&self.bodies[p as usize].handle)),
            area,
            founded_on,
        }
        .into()];
        for post in &b.posts {
            batch.push(self.establish_command(*post, founded_on));
        }
        batch
    }

    pub fn establish_command(&self, post: u32, on: Option<EdtfDate>) -> Command {
        let p = &self.posts[post as usize];
        EstablishPost {
            handle: p.handle.clone(),
            body: reference(&self.bodies[p.body as usize].handle),
            title: self.post_title(post),
            seats: p.seats.and_then(Seats::limited).unwrap_or(Seats::Unlimited),
            established_on: on,
        }
        .into()
    }

    // -----------------------------------------------------------------------------------------
    // People

    fn pick_commune(&mut self, scope: Scope) -> u32 {
        match scope {
            Scope::Commune(c) => c,
            Scope::Province(p) => *self.rng.pick(&self.provinces[p as usize].communes),
            Scope::Region(r) => {
                let province = *self.rng.pick(&self.regions[r as usize].provinces);
                *self.rng.pick(&self.provinces[province as usize].communes)
            }
            Scope::National => self.rng.below(self.communes.len()) as u32,
        }
    }

    /// A living person from `scope` (a party member when `party` is given) not in `taken`.
    pub fn pick_person(&mut self, scope: Scope, party: Option<u8>, taken: &[u32]) -> Option<u32> {
        const TRIES_MAX: usize = 24;
        for _ in 0..TRIES_MAX {
            let commune = self.pick_commune(scope) as usize;
            let pool = match party {
                Some(party) => &self.members[party as usize][commune],
                None => &self.residents[commune],
            };
            if pool.is_empty() {
                continue;
            }
            let person = pool[self.rng.below(pool.len())];
            if !self.people[person as usize].dead && !taken.contains(&person) {
                return Some(person);
            }
        }
        None
    }

    /// `count` distinct people for a post: some incumbents stay, the rest are new.
    pub fn choose(
        &mut self,
        scope: Scope,
        party: Option<u8>,
        count: usize,
        incumbents: &[u32],
        taken: &mut Vec<u32>,
    ) -> Vec<u32> {
        let mut chosen = Vec::with_capacity(count);
        for person in incumbents {
            if chosen.len() < count
                && !self.people[*person as usize].dead
                && !taken.contains(person)
                && self.rng.chance(45)
            {
                chosen.push(*person);
                taken.push(*person);
            }
        }
        while chosen.len() < count {
            let Some(person) = self.pick_person(scope, party, taken) else {
                break;
            };
            chosen.push(person);
            taken.push(person);
        }
        chosen
    }

    // -----------------------------------------------------------------------------------------
    // Mandates

    pub fn new_mandate_handle(&mut self) -> Handle {
        self.next_mandate += 1;
        handle(&format!("@mandate-{}", self.next_mandate))
    }

    pub fn new_assembly_handle(&mut self) -> Handle {
        self.next_assembly += 1;
        handle(&format!("@assembly-{}", self.next_assembly))
    }

    /// Starts a mandate and records it in the world.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        &mut self,
        post: u32,
        person: u32,
        from: EdtfDate,
        since: NaiveDate,
        basis: Basis<EntityRef>,
        assembly: Option<&Handle>,
        constituency: Option<EntityRef>,
    ) -> Command {
        let mandate = self.new_mandate_handle();
        self.posts[post as usize].holders.push(Holder {
            mandate: mandate.clone(),
            person,
            since,
            constituency: constituency.clone(),
        });
        self.held[person as usize].push(post);
        StartMandate {
            handle: Some(mandate),
            person: reference(&self.people[person as usize].handle),
            post: reference(&self.posts[post as usize].handle),
            from,
            basis,
            assembly: assembly.map(reference),
            constituency,
        }
        .into()
    }

    /// Ends every current mandate of `post` on `on`.
    pub fn end_all(
        &mut self,
        post: u32,
        on: NaiveDate,
        reason: EndReason,
        batch: &mut Batch,
    ) -> Vec<u32> {
        let holders = std::mem::take(&mut self.posts[post as usize].holders);
        let mut people = Vec::with_capacity(holders.len());
        for holder in holders {
            self.release(holder.person, post);
            batch.push(
                EndMandate {
                    mandate: reference(&holder.mandate),
                    on: exact(on),
                    reason,
                }
                .into(),
            );
            people.push(holder.person);
        }
        people
    }

    /// Ends one holder's mandate on `on`.
    pub fn end_one(
        &mut self,
        post: u32,
        holder: usize,
        on: NaiveDate,
        reason: EndReason,
    ) -> (u32, Command) {
        let holder = self.posts[post as usize].holders.swap_remove(holder);
        self.release(holder.person, post);
        (
            holder.person,
            EndMandate {
                mandate: reference(&holder.mandate),
                on: exact(on),
                reason,
            }
            .into(),
        )
    }

    fn release(&mut self, person: u32, post: u32) {
        let held = &mut self.held[person as usize];
        if let Some(at) = held.iter().position(|p| *p == post) {
            held.swap_remove(at);
        }
    }

    pub fn tally(&mut self, voters: u32) -> Tally {
        let voters = voters.max(1);
        let majority = voters / 2 + 1;
        let votes_for = majority + self.rng.between(0, voters - majority);
        let against = self.rng.between(0, voters - votes_for);
        let abstain = voters - votes_for - against;
        Tally {
            votes_for,
            against,
            abstain,
        }
    }

    pub fn resolution(&mut self, assembly: &Handle, voters: u32) -> Command {
        let (arabic, french) = *self.rng.pick(RESOLUTIONS);
        let vote = match self.rng.below(10) {
            0..=3 => Vote::Unanimous,
            4..=6 => Vote::Majority(self.tally(voters.max(3))),
            7..=8 => Vote::Consensus,
            _ => Vote::Acclamation,
        };
        AdoptResolution {
            assembly: reference(assembly),
            title: names(arabic, french),
            text: None,
            vote,
        }
        .into()
    }

    pub fn convene(
        &mut self,
        body: u32,
        kind: AssemblyKind,
        held_on: EdtfDate,
        venue: Option<Names>,
    ) -> (Handle, Command) {
        let handle = self.new_assembly_handle();
        let b = &mut self.bodies[body as usize];
        b.assemblies_held += 1;
        let ordinal = matches!(kind, AssemblyKind::Congress | AssemblyKind::CouncilSession)
            .then_some(b.assemblies_held);
        let command = ConveneAssembly {
            handle: handle.clone(),
            body: reference(&b.handle),
            kind,
            ordinal,
            held_on,
            venue,
            name: None,
        };
        (handle, command.into())
    }

    pub fn attendance(&self, assembly: &Handle, people: &[u32], capacity: Option<&str>) -> Command {
        let mut seen: Vec<u32> = Vec::with_capacity(people.len());
        let mut attendees = Vec::with_capacity(people.len());
        for person in people {
            if seen.contains(person) {
                continue;
            }
            seen.push(*person);
            attendees.push(Attendee {
                person: reference(&self.people[*person as usize].handle),
                capacity: capacity.map(note),
            });
        }
        RecordAttendance {
            assembly: reference(assembly),
            attendees,
        }
        .into()
    }

    pub fn rename(&self, body: u32, on: NaiveDate, arabic: &str, french: &str) -> Command {
        RenameBody {
            body: reference(&self.bodies[body as usize].handle),
            name: names(arabic, french),
            on: Some(exact(on)),
        }
        .into()
    }

    pub fn dissolve(&mut self, body: u32, on: NaiveDate) -> Command {
        let b = &mut self.bodies[body as usize];
        b.active = false;
        let posts = b.posts.clone();
        for post in posts {
            // Dissolution ends the open mandates itself.
            for holder in std::mem::take(&mut self.posts[post as usize].holders) {
                self.release(holder.person, post);
            }
            self.posts[post as usize].open = false;
        }
        DissolveBody {
            body: reference(&self.bodies[body as usize].handle),
            on: exact(on),
            cascade: false,
            note: Some(note(
                "حل الفرع لعدم تجديد هياكله / section dissoute faute de renouvellement",
            )),
        }
        .into()
    }

    pub fn correct_date(&self, assembly: &Handle, date: NaiveDate) -> Command {
        CorrectDate {
            entity: reference(assembly),
            field: DateField::HeldOn,
            date: exact(date),
        }
        .into()
    }

    /// A spelling fix: the printed name gains (or loses) its hamza, as registrars do once they
    /// see the person's identity card.
    pub fn correct_name(&mut self, person: u32) -> Option<Command> {
        let current = self.people[person as usize].name.clone();
        let printed = current.text();
        let fixed = if printed.contains('ا') && !printed.contains('أ') {
            printed.replacen('ا', "أ", 1)
        } else {
            printed.replace(['أ', 'إ'], "ا")
        };
        if fixed == printed {
            return None;
        }
        let mut name = Names::tagged(&fixed, Some("ar")).ok()?;
        for other in current.others() {
            name = name
                .with_other(other.text(), other.lang().map(|lang| lang.as_str()))
                .ok()?;
        }
        self.people[person as usize].name = name.clone();
        Some(
            CorrectName {
                entity: reference(&self.people[person as usize].handle),
                name,
            }
            .into(),
        )
    }

    pub fn local_election_date(&self, year: i32) -> Option<NaiveDate> {
        scheduled(LOCAL_ELECTIONS, 6, year)
    }

    pub fn general_election_date(&self, year: i32) -> Option<NaiveDate> {
        scheduled(GENERAL_ELECTIONS, 5, year)
    }

    pub fn chambers() -> &'static [(&'static str, &'static str, &'static str)] {
        CHAMBERS
    }

    /// The last election of a body strictly before `year`, on its schedule.
    pub fn previous_election(&self, body: u32, year: i32) -> Option<NaiveDate> {
        (year - 12..year)
            .rev()
            .find_map(|y| self.election_date(body, y))
    }

    /// The date of the body's election in `year`, if it holds one that year.
    pub fn election_date(&self, body: u32, year: i32) -> Option<NaiveDate> {
        let b = &self.bodies[body as usize];
        match b.kind {
            Kind::CommuneCouncil | Kind::Chamber => self.local_election_date(year),
            Kind::Parliament => self.general_election_date(year),
            _ if b.kind.elected_at_parent_congress() => None,
            _ => ((year - b.anchor_year).rem_euclid(b.term_years) == 0)
                .then(|| day_of(year, b.election_day)),
        }
    }

    pub fn year_of(date: NaiveDate) -> i32 {
        date.year()
    }
}

fn code(text: &str) -> sijill_domain::names::Code {
    sijill_domain::names::Code::new(text)
        .unwrap_or_else(|error| panic!("generated code `{text}` is invalid: {error}"))
}

/// The slug cut to at most `max` bytes at a word boundary (handles have a length limit).
pub(crate) fn truncated_slug(slug: &str, max: usize) -> String {
    if slug.len() <= max {
        return slug.to_owned();
    }
    let cut = &slug[..max];
    cut.rsplit_once('-')
        .map_or(cut, |(head, _)| head)
        .trim_end_matches('-')
        .to_owned()
}
