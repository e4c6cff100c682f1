//! What happens, year by year: the setting up of the registry, then elections, congresses,
//! sessions, resignations, deaths, new and dissolved sections, renamings and corrections, in
//! date order.

use chrono::{Datelike, Days, NaiveDate};
use sijill_domain::command::{AbolishPost, CorrectConstituency, MoveBody};
use sijill_domain::values::AssemblyKind;
use sijill_domain::{Basis, EdtfDate, EndReason, EntityRef, Names};

use crate::world::{
    day_of, edtf, exact, names, reference, truncated_slug, Batch, Kind, PartyBodies, Role, Scope,
    World, PARTIES,
};

/// Percent of communes where each party has a local section at the start.
const SECTION_SHARE_PERCENT: u32 = 60;
/// A local section renews its bureau every this many years.
const SECTION_TERM_YEARS: i32 = 6;
/// Yearly chance (per mille) that a holder resigns.
const RESIGNATION_PER_MILLE: u32 = 14;
/// Yearly chance (per mille) that a holder dies.
const DEATH_PER_MILLE: u32 = 2;
/// Yearly chance (per mille) that a local section is dissolved (and one founded elsewhere).
const SECTION_TURNOVER_PER_MILLE: u32 = 6;
/// Percent of sessions recorded first with only their month known.
const UNCERTAIN_SESSION_PERCENT: u32 = 8;
/// Percent of coordinations whose founding assembly's date is uncertain, as in the seed.
const UNCERTAIN_FOUNDING_PERCENT: u32 = 15;
/// Yearly chance (per 100,000) that a person's printed name is corrected.
const NAME_CORRECTION_PER_100K: u32 = 150;
/// Yearly chance (per mille) that a local section is attached to its regional branch.
const MOVE_PER_MILLE: u32 = 3;
/// Yearly chance (percent) that a coordination corrects the commune one member represents.
const CONSTITUENCY_CORRECTION_PERCENT: u32 = 10;
/// Days a mandate runs at least before its holder resigns.
const RESIGNATION_AFTER_DAYS: u64 = 45;

enum Happening {
    Election(u32),
    Founding(u32),
    Session(u32),
    Resignation {
        post: u32,
        person: u32,
    },
    Death(u32),
    Dissolution(u32),
    NewSection {
        party: u8,
    },
    Rename(u32),
    NameCorrection(u32),
    /// A local section is attached directly to its regional branch.
    Move(u32),
    /// A coordination member turns out to represent another commune.
    ConstituencyCorrection(u32),
    DateCorrection {
        assembly: sijill_domain::Handle,
        date: NaiveDate,
    },
}

impl World {
    /// The registry as it stood when recording began: areas, people, bodies, and the holders
    /// elected before the first simulated year.
    pub fn setup(&mut self) -> Vec<Batch> {
        let mut batches = self.area_batches();
        batches.extend(self.people_batches());
        self.sections =
            vec![vec![None; self.communes.len()]; self.scale.parties.clamp(1, PARTIES.len())];
        for body in self.create_public_bodies() {
            batches.push(self.setup_body(body));
        }
        for party in 0..self.scale.parties.clamp(1, PARTIES.len()) as u8 {
            for body in self.create_party(party) {
                batches.push(self.setup_body(body));
            }
        }
        batches
    }

    fn scaled(&self, full: u32, least: u32) -> u32 {
        (full as u64 * self.scale.people as u64 / 100_000).clamp(least as u64, full as u64) as u32
    }

    fn create_public_bodies(&mut self) -> Vec<u32> {
        let mut created = Vec::new();
        let parliament = self.add_body(
            super::world::handle("@house-of-representatives"),
            Kind::Parliament,
            None,
            Scope::National,
            None,
            5,
            0,
        );
        let seats: u32 = self.provinces.iter().map(|p| p.seats).sum();
        self.add_post(parliament, Role::Member, Some(seats), seats);
        self.parliament = Some(parliament);
        created.push(parliament);
        for r in 0..self.regions.len() {
            for (slug, _, _) in World::chambers() {
                let region_slug = self.regions[r]
                    .handle
                    .as_str()
                    .trim_start_matches("@region-")
                    .to_owned();
                let handle = super::world::handle(&format!(
                    "@chamber-{slug}-{}",
                    truncated_slug(&region_slug, 40)
                ));
                let chamber = self.add_body(
                    handle,
                    Kind::Chamber,
                    None,
                    Scope::Region(r as u32),
                    None,
                    6,
                    0,
                );
                let members = 20 + self.rng.between(0, 10);
                self.add_post(chamber, Role::Head, Some(1), 1);
                self.add_post(chamber, Role::Member, Some(members), members);
                self.regions[r].chambers.push(chamber);
                created.push(chamber);
            }
        }
        for c in 0..self.communes.len() {
            let slug = self.communes[c]
                .handle
                .as_str()
                .trim_start_matches("@commune-")
                .to_owned();
            let council = self.add_body(
                super::world::handle(&format!("@council-{slug}")),
                Kind::CommuneCouncil,
                None,
                Scope::Commune(c as u32),
                None,
                6,
                0,
            );
            let seats = 7 + self.rng.between(0, 6);
            let deputies = 1 + self.rng.between(0, 1);
            self.add_post(council, Role::Head, Some(1), 1);
            self.add_post(council, Role::Deputy, Some(deputies), deputies);
            self.add_post(council, Role::Member, Some(seats), seats);
            self.councils.push(council);
            created.push(council);
        }
        created
    }

    fn create_party(&mut self, party: u8) -> Vec<u32> {
        let slug = PARTIES[party as usize].slug;
        let anchor = 2001 + i32::from(party % 4);
        let h = |text: String| super::world::handle(&text);
        let p = Some(party);
        let mut bodies = PartyBodies {
            party: self.add_body(
                h(format!("@{slug}")),
                Kind::Party,
                p,
                Scope::National,
                None,
                4,
                anchor,
            ),
            ..PartyBodies::default()
        };
        let root = Some(bodies.party);
        bodies.political_bureau = self.add_body(
            h(format!("@{slug}-political-bureau")),
            Kind::PoliticalBureau,
            p,
            Scope::National,
            root,
            4,
            anchor,
        );
        bodies.central_committee = self.add_body(
            h(format!("@{slug}-central-committee")),
            Kind::CentralCommittee,
            p,
            Scope::National,
            root,
            4,
            anchor,
        );
        bodies.national_council = self.add_body(
            h(format!("@{slug}-national-council")),
            Kind::NationalCouncil,
            p,
            Scope::National,
            root,
            4,
            anchor,
        );
        bodies.association = self.add_body(
            h(format!("@{slug}-elected-officials")),
            Kind::Association,
            p,
            Scope::National,
            root,
            4,
            anchor + 1,
        );
        let association = Some(bodies.association);
        bodies.association_bureau = self.add_body(
            h(format!("@{slug}-elected-officials-bureau")),
            Kind::AssociationBureau,
            p,
            Scope::National,
            association,
            4,
            anchor + 1,
        );
        self.add_post(bodies.party, Role::Head, Some(1), 1);
        let (bureau, committee, council, association_bureau) = (
            self.scaled(25, 5),
            self.scaled(150, 10),
            self.scaled(100, 10),
            self.scaled(15, 5),
        );
        self.add_post(bodies.political_bureau, Role::Member, Some(bureau), bureau);
        self.add_post(bodies.central_committee, Role::Member, None, committee);
        self.add_post(bodies.national_council, Role::Member, None, council);
        self.add_post(bodies.association, Role::Head, Some(1), 1);
        self.add_post(
            bodies.association_bureau,
            Role::Member,
            Some(association_bureau),
            association_bureau,
        );
        let mut created = vec![
            bodies.party,
            bodies.political_bureau,
            bodies.central_committee,
            bodies.national_council,
            bodies.association,
            bodies.association_bureau,
        ];
        for r in 0..self.regions.len() as u32 {
            let region_slug = self.regions[r as usize]
                .handle
                .as_str()
                .trim_start_matches("@region-")
                .to_owned();
            let anchor = 2001 + self.rng.between(0, 3) as i32;
            let branch = self.add_body(
                h(format!(
                    "@{slug}-branch-{}",
                    truncated_slug(&region_slug, 40)
                )),
                Kind::RegionalBranch,
                p,
                Scope::Region(r),
                root,
                4,
                anchor,
            );
            self.add_post(branch, Role::Head, Some(1), 1);
            self.add_post(branch, Role::Member, Some(8), 8);
            bodies.branches.push(branch);
            created.push(branch);
            for province in self.regions[r as usize].provinces.clone() {
                created.extend(self.create_provincial_bodies(party, &mut bodies, branch, province));
            }
        }
        self.party_bodies.push(bodies);
        created
    }

    fn create_provincial_bodies(
        &mut self,
        party: u8,
        bodies: &mut PartyBodies,
        branch: u32,
        province: u32,
    ) -> Vec<u32> {
        let slug = PARTIES[party as usize].slug;
        let province_slug = self.provinces[province as usize]
            .handle
            .as_str()
            .split_once('-')
            .map_or("", |(_, s)| s)
            .to_owned();
        let province_slug = truncated_slug(&province_slug, 40);
        let anchor = 2001 + self.rng.between(0, 3) as i32;
        let h = |text: String| super::world::handle(&text);
        let secretariat = self.add_body(
            h(format!("@{slug}-secretariat-{province_slug}")),
            Kind::ProvincialSecretariat,
            Some(party),
            Scope::Province(province),
            Some(branch),
            4,
            anchor,
        );
        self.add_post(secretariat, Role::Head, Some(1), 1);
        self.add_post(secretariat, Role::Member, Some(6), 6);
        bodies.secretariats.push(secretariat);
        // The coordination of the association is founded during the simulated years.
        let founding = self.first_year()
            + 1
            + self
                .rng
                .below(self.scale.years.saturating_sub(2).max(1) as usize) as i32;
        let coordination = self.add_body(
            h(format!("@{slug}-coordination-{province_slug}")),
            Kind::Coordination,
            Some(party),
            Scope::Province(province),
            Some(bodies.association),
            4,
            founding,
        );
        self.bodies[coordination as usize].planned = Some(founding);
        let communes = self.provinces[province as usize].communes.len() as u32;
        self.add_post(coordination, Role::Head, Some(1), 1);
        self.add_post(coordination, Role::Member, None, communes + 2);
        bodies.coordinations.push(coordination);
        let mut created = vec![secretariat];
        for commune in self.provinces[province as usize].communes.clone() {
            if self.rng.chance(SECTION_SHARE_PERCENT) {
                created.push(self.create_section(party, commune, secretariat, None));
            }
        }
        created
    }

    fn create_section(
        &mut self,
        party: u8,
        commune: u32,
        secretariat: u32,
        founding: Option<i32>,
    ) -> u32 {
        let slug = PARTIES[party as usize].slug;
        let anchor = founding.unwrap_or(1999 + self.rng.between(0, 5) as i32);
        let number = self.bodies.len() + 1;
        let handle = super::world::handle(&format!("@{slug}-section-{}-{number}", commune + 1));
        let section = self.add_body(
            handle,
            Kind::LocalSection,
            Some(party),
            Scope::Commune(commune),
            Some(secretariat),
            SECTION_TERM_YEARS,
            anchor,
        );
        self.add_post(section, Role::Head, Some(1), 1);
        self.add_post(section, Role::Member, Some(1), 1);
        self.sections[party as usize][commune as usize] = Some(section);
        section
    }

    /// Founds a body as it stood before the first simulated year, with its sitting holders.
    fn setup_body(&mut self, body: u32) -> Batch {
        let kind = self.bodies[body as usize].kind;
        let party = self.bodies[body as usize].party;
        let founded_on = match kind {
            Kind::Party => party.map(|p| edtf(PARTIES[p as usize].founded)),
            Kind::Association => Some(edtf("2000")),
            Kind::Parliament => Some(edtf("1963")),
            _ => None,
        };
        let name = match kind {
            Kind::Chamber => self.chamber_name(body),
            _ => self.body_name(body),
        };
        let mut batch = self.founding_commands(body, name, founded_on);
        self.bodies[body as usize].active = true;
        let elected_by = self.electing_body(body);
        if let Some(date) = self.previous_election(elected_by, self.first_year()) {
            for post in self.bodies[body as usize].posts.clone() {
                batch.extend(self.elect_post(post, date, exact(date), None, &mut Vec::new()));
            }
        }
        batch
    }

    fn chamber_name(&self, body: u32) -> Names {
        let b = &self.bodies[body as usize];
        let Scope::Region(r) = b.scope else {
            unreachable!("chambers are regional")
        };
        let slug = b.handle.as_str().trim_start_matches("@chamber-");
        let (_, arabic, french) = World::chambers()
            .iter()
            .find(|(s, _, _)| slug.starts_with(s))
            .copied()
            .unwrap_or(World::chambers()[0]);
        let region = &crate::geo::REGIONS[self.regions[r as usize].data];
        names(
            &format!("{arabic} {}", region.arabic.trim_start_matches("جهة ")),
            &format!("{french}, {}", region.latin),
        )
    }

    /// The body whose congress elects this one's members (a party's congress elects its
    /// political bureau), or the body itself.
    fn electing_body(&self, body: u32) -> u32 {
        let b = &self.bodies[body as usize];
        match (b.kind.elected_at_parent_congress(), b.parent) {
            (true, Some(parent)) => parent,
            _ => body,
        }
    }

    // -----------------------------------------------------------------------------------------
    // Elections

    /// Fills a post for a new term from `date`: its holders' terms end, the chosen start.
    /// `taken` collects the people chosen, so one assembly elects distinct people per post.
    fn elect_post(
        &mut self,
        post: u32,
        date: NaiveDate,
        from: EdtfDate,
        assembly: Option<&sijill_domain::Handle>,
        attendees: &mut Vec<u32>,
    ) -> Batch {
        let mut batch = Vec::new();
        if !self.posts[post as usize].open {
            return batch;
        }
        let incumbents = self.end_all(post, date, EndReason::TermExpired, &mut batch);
        let body = self.posts[post as usize].body;
        let (kind, party, scope) = {
            let b = &self.bodies[body as usize];
            (b.kind, b.party, b.scope)
        };
        let role = self.posts[post as usize].role;
        let since = from.possible_latest().unwrap_or(date).max(date);
        match kind {
            Kind::Coordination if role == Role::Member => {
                self.elect_representatives(post, &from, since, assembly, attendees, &mut batch);
            }
            Kind::Parliament => self.elect_parliament(post, date, &mut batch),
            _ => {
                let target = self.posts[post as usize].target as usize;
                let voters = self.posts[post as usize].target.max(3) * 20;
                let chosen = self.choose(scope, party, target, &incumbents, &mut Vec::new());
                for person in chosen {
                    let basis = self.basis(kind, role, voters);
                    batch.push(self.start(post, person, from, since, basis, assembly, None));
                    attendees.push(person);
                }
            }
        }
        batch
    }

    fn basis(&mut self, kind: Kind, role: Role, voters: u32) -> Basis<EntityRef> {
        match (kind, role) {
            (Kind::CommuneCouncil | Kind::Chamber | Kind::CentralCommittee, _) => {
                Basis::ElectedByMajority(self.tally(voters))
            }
            (Kind::Coordination, Role::Head) => Basis::ElectedUnanimously,
            (_, Role::Head) => match self.rng.below(4) {
                0 => Basis::ElectedUnanimously,
                1 => Basis::ElectedByAcclamation,
                _ => Basis::ElectedByMajority(self.tally(voters)),
            },
            (Kind::PoliticalBureau, _) => Basis::ElectedByMajority(self.tally(voters)),
            _ => Basis::ChosenByConsensus,
        }
    }

    /// A coordination's members: one per commune of the province where the party has
    /// someone, and one per chamber of the region, each representing it (as in the seed).
    fn elect_representatives(
        &mut self,
        post: u32,
        from: &EdtfDate,
        since: NaiveDate,
        assembly: Option<&sijill_domain::Handle>,
        attendees: &mut Vec<u32>,
        batch: &mut Batch,
    ) {
        let body = self.posts[post as usize].body;
        let (party, scope) = (
            self.bodies[body as usize].party,
            self.bodies[body as usize].scope,
        );
        let Scope::Province(province) = scope else {
            return;
        };
        let mut taken: Vec<u32> = attendees.clone();
        let communes = self.provinces[province as usize].communes.clone();
        for commune in communes {
            let Some(person) = self.pick_person(Scope::Commune(commune), party, &taken) else {
                continue;
            };
            taken.push(person);
            let constituency = Some(reference(&self.communes[commune as usize].handle));
            batch.push(self.start(
                post,
                person,
                *from,
                since,
                Basis::ChosenByConsensus,
                assembly,
                constituency,
            ));
            attendees.push(person);
        }
        let region = self.provinces[province as usize].region;
        for chamber in self.regions[region as usize]
            .chambers
            .clone()
            .into_iter()
            .take(2)
        {
            let Some(person) = self.pick_person(scope, party, &taken) else {
                continue;
            };
            taken.push(person);
            let constituency = Some(reference(&self.bodies[chamber as usize].handle));
            batch.push(self.start(
                post,
                person,
                *from,
                since,
                Basis::ChosenByConsensus,
                assembly,
                constituency,
            ));
            attendees.push(person);
        }
    }

    fn elect_parliament(&mut self, post: u32, date: NaiveDate, batch: &mut Batch) {
        let parties = self.scale.parties.clamp(1, PARTIES.len());
        let weights: Vec<u32> = PARTIES[..parties].iter().map(|p| p.weight).collect();
        let mut taken = Vec::new();
        for province in 0..self.provinces.len() as u32 {
            for _ in 0..self.provinces[province as usize].seats {
                let party = self.rng.weighted(&weights) as u8;
                let Some(&person) = self
                    .choose(Scope::Province(province), Some(party), 1, &[], &mut taken)
                    .first()
                else {
                    continue;
                };
                let votes = 5_000 + self.rng.between(0, 40_000);
                let basis = Basis::ElectedByMajority(self.tally(votes));
                let constituency = Some(reference(&self.provinces[province as usize].handle));
                batch.push(self.start(post, person, exact(date), date, basis, None, constituency));
            }
        }
    }

    /// A body's election: commune and chamber elections, then their constitutive session;
    /// party congresses and general assemblies, which also elect the bodies they elect.
    fn election(&mut self, body: u32, date: NaiveDate) -> Batch {
        let kind = self.bodies[body as usize].kind;
        match kind {
            Kind::CommuneCouncil | Kind::Chamber => self.council_election(body, date),
            Kind::Parliament => {
                let post = self.bodies[body as usize].posts[0];
                self.elect_post(post, date, exact(date), None, &mut Vec::new())
            }
            _ => self.congress(body, date, exact(date), AssemblyKind::GeneralAssembly),
        }
    }

    fn council_election(&mut self, body: u32, date: NaiveDate) -> Batch {
        let posts = self.bodies[body as usize].posts.clone();
        let (head, deputies, members) = match posts.as_slice() {
            [head, members] => (*head, None, *members),
            [head, deputies, members, ..] => (*head, Some(*deputies), *members),
            _ => return Vec::new(),
        };
        let mut batch = Vec::new();
        let mut elected = Vec::new();
        for post in [Some(head), deputies].into_iter().flatten() {
            self.end_all(post, date, EndReason::TermExpired, &mut batch);
        }
        batch.extend(self.elect_post(members, date, exact(date), None, &mut elected));
        // The constitutive session elects the president and vice-presidents among them.
        let session = date
            .checked_add_days(Days::new(u64::from(self.rng.between(7, 20))))
            .unwrap_or(date);
        let (assembly, convene) =
            self.convene(body, AssemblyKind::CouncilSession, exact(session), None);
        batch.push(convene);
        let voters = elected.len() as u32;
        let mut order = elected.clone();
        for (post, count) in [
            (Some(head), 1),
            (
                deputies,
                self.posts[deputies.unwrap_or(head) as usize].target as usize,
            ),
        ] {
            let Some(post) = post else { continue };
            for _ in 0..count {
                let Some(person) = order.pop() else { break };
                let basis = Basis::ElectedByMajority(self.tally(voters.max(3)));
                batch.push(self.start(
                    post,
                    person,
                    exact(session),
                    session,
                    basis,
                    Some(&assembly),
                    None,
                ));
            }
        }
        if !elected.is_empty() {
            batch.push(self.attendance(&assembly, &elected, None));
        }
        batch.push(self.resolution(&assembly, voters));
        batch
    }

    /// An assembly of `body` that elects its posts and those of the bodies it elects.
    fn congress(
        &mut self,
        body: u32,
        date: NaiveDate,
        held_on: EdtfDate,
        kind: AssemblyKind,
    ) -> Batch {
        let (body_kind, party) = (
            self.bodies[body as usize].kind,
            self.bodies[body as usize].party,
        );
        let assembly_kind = match (kind, body_kind) {
            (AssemblyKind::GeneralAssembly, Kind::Party | Kind::Association) => {
                AssemblyKind::Congress
            }
            _ => kind,
        };
        let venue = self.venue(body);
        let (assembly, convene) = self.convene(body, assembly_kind, held_on, Some(venue));
        let mut batch = vec![convene];
        let mut elected_bodies = vec![body];
        if let Some(party) = party {
            let pb = self.party_bodies[party as usize].clone();
            match body_kind {
                Kind::Party => elected_bodies.extend([
                    pb.political_bureau,
                    pb.central_committee,
                    pb.national_council,
                ]),
                Kind::Association => elected_bodies.push(pb.association_bureau),
                _ => {}
            }
        }
        if body_kind == Kind::Party && Self::year_of(date) > self.first_year() {
            batch.extend(self.reshape_posts(body, date));
        }
        let mut attendees = Vec::new();
        for elected in elected_bodies {
            for post in self.bodies[elected as usize].posts.clone() {
                batch.extend(self.elect_post(post, date, held_on, Some(&assembly), &mut attendees));
            }
        }
        self.add_officials(body, &mut attendees);
        if !attendees.is_empty() {
            batch.push(self.attendance(&assembly, &attendees, None));
        }
        let voters = attendees.len() as u32;
        batch.push(self.resolution(&assembly, voters));
        batch
    }

    /// Now and then a congress creates a deputy secretary-general's post, or abolishes it.
    fn reshape_posts(&mut self, party: u32, date: NaiveDate) -> Batch {
        let deputy =
            self.bodies[party as usize].posts.iter().copied().find(|p| {
                self.posts[*p as usize].role == Role::Deputy && self.posts[*p as usize].open
            });
        match deputy {
            None if self.rng.chance(60) => {
                let post = self.add_post(party, Role::Deputy, Some(1), 1);
                vec![self.establish_command(post, Some(exact(date)))]
            }
            Some(post) if self.rng.chance(50) => {
                let mut batch = Vec::new();
                self.end_all(post, date, EndReason::TermExpired, &mut batch);
                self.posts[post as usize].open = false;
                batch.push(
                    AbolishPost {
                        post: reference(&self.posts[post as usize].handle),
                        on: exact(date),
                    }
                    .into(),
                );
                batch
            }
            _ => Vec::new(),
        }
    }

    /// Party officials who attend a provincial or local assembly (as in the seed, where
    /// national figures attend a provincial founding).
    fn add_officials(&mut self, body: u32, attendees: &mut Vec<u32>) {
        let Some(party) = self.bodies[body as usize].party else {
            return;
        };
        let leaders = self.party_bodies[party as usize].political_bureau;
        let post = self.bodies[leaders as usize].posts[0];
        let holders: Vec<u32> = self.posts[post as usize]
            .holders
            .iter()
            .map(|h| h.person)
            .take(2)
            .collect();
        for person in holders {
            if !attendees.contains(&person) {
                attendees.push(person);
            }
        }
    }

    fn venue(&mut self, body: u32) -> Names {
        let scope = self.bodies[body as usize].scope;
        let province = match scope {
            Scope::Commune(c) => self.communes[c as usize].province,
            Scope::Province(p) => p,
            Scope::Region(r) => self.regions[r as usize].provinces[0],
            Scope::National => 0,
        };
        let (arabic, latin) = (
            self.provinces[province as usize].arabic,
            self.provinces[province as usize].latin,
        );
        match self.rng.below(3) {
            0 => names(
                &format!("غرفة التجارة والصناعة والخدمات، {arabic}"),
                &format!("Chambre de commerce, d'industrie et de services, {latin}"),
            ),
            1 => names(
                &format!("دار الشباب، {arabic}"),
                &format!("Maison des jeunes, {latin}"),
            ),
            _ => names(
                &format!("قاعة الاجتماعات بمقر العمالة، {arabic}"),
                &format!("Salle de réunion de la préfecture, {latin}"),
            ),
        }
    }

    /// A coordination's (or a new section's) founding general assembly.
    fn founding(&mut self, body: u32, date: NaiveDate) -> Batch {
        let uncertain = self.bodies[body as usize].kind == Kind::Coordination
            && self.rng.chance(UNCERTAIN_FOUNDING_PERCENT);
        let held_on = if uncertain {
            match self.rng.below(3) {
                0 => edtf(&format!("{date}~")),
                1 => edtf(&format!("{date}?")),
                _ => edtf(&format!(
                    "{date}/{}",
                    date.checked_add_days(Days::new(6)).unwrap_or(date)
                )),
            }
        } else {
            exact(date)
        };
        // An uncertain founding leaves the body's founding date unknown rather than guessed.
        let founded_on = (!uncertain).then_some(held_on);
        let name = self.body_name(body);
        let mut batch = self.founding_commands(body, name, founded_on);
        let b = &mut self.bodies[body as usize];
        b.active = true;
        b.planned = None;
        b.since = Some(held_on.possible_latest().unwrap_or(date));
        batch.extend(self.congress(body, date, held_on, AssemblyKind::FoundingGeneralAssembly));
        batch
    }

    // -----------------------------------------------------------------------------------------
    // The rest of a term

    fn session(
        &mut self,
        body: u32,
        date: NaiveDate,
        pending: &mut Vec<(NaiveDate, Happening)>,
    ) -> Batch {
        let kind = match self.bodies[body as usize].kind {
            Kind::CommuneCouncil
            | Kind::Chamber
            | Kind::Parliament
            | Kind::CentralCommittee
            | Kind::NationalCouncil => AssemblyKind::CouncilSession,
            _ => AssemblyKind::BureauMeeting,
        };
        let uncertain = self.rng.chance(UNCERTAIN_SESSION_PERCENT);
        let held_on = if uncertain {
            edtf(&format!("{:04}-{:02}", date.year(), date.month()))
        } else {
            exact(date)
        };
        let (assembly, convene) = self.convene(body, kind, held_on, None);
        if uncertain && self.rng.chance(50) {
            let later = date
                .checked_add_days(Days::new(u64::from(self.rng.between(20, 60))))
                .unwrap_or(date);
            if later.year() == date.year() {
                pending.push((
                    later,
                    Happening::DateCorrection {
                        assembly: assembly.clone(),
                        date,
                    },
                ));
            }
        }
        let voters = self.bodies[body as usize]
            .posts
            .iter()
            .map(|p| self.posts[*p as usize].holders.len() as u32)
            .sum();
        vec![convene, self.resolution(&assembly, voters)]
    }

    fn resignation(&mut self, post: u32, person: u32, date: NaiveDate) -> Batch {
        let p = &self.posts[post as usize];
        let body = p.body;
        let Some(at) = p.holders.iter().position(|h| h.person == person) else {
            return Vec::new();
        };
        let settled = p.holders[at]
            .since
            .checked_add_days(Days::new(RESIGNATION_AFTER_DAYS))
            .is_some_and(|d| d <= date);
        if !settled || !self.bodies[body as usize].active || !p.open {
            return Vec::new();
        }
        let reason = match self.rng.below(20) {
            0 => EndReason::Removed,
            1 | 2 => EndReason::Replaced,
            _ => EndReason::Resigned,
        };
        let (_, end) = self.end_one(post, at, date, reason);
        let mut batch = vec![end];
        let (kind, party, scope) = {
            let b = &self.bodies[body as usize];
            (b.kind, b.party, b.scope)
        };
        let mut taken: Vec<u32> = self.posts[post as usize]
            .holders
            .iter()
            .map(|h| h.person)
            .collect();
        taken.push(person);
        // A member of parliament is replaced by someone from the same province.
        let province = (kind == Kind::Parliament)
            .then(|| self.communes[self.people[person as usize].commune as usize].province);
        let scope = province.map_or(scope, Scope::Province);
        let Some(successor) = self.pick_person(scope, party, &taken) else {
            return batch;
        };
        let constituency = province.map(|p| reference(&self.provinces[p as usize].handle));
        match kind {
            // Commune councils and parliament fill the seat from the list: no assembly.
            Kind::CommuneCouncil | Kind::Parliament | Kind::Chamber => {
                batch.push(self.start(
                    post,
                    successor,
                    exact(date),
                    date,
                    Basis::CoOpted,
                    None,
                    constituency,
                ));
            }
            _ => {
                let (assembly, convene) =
                    self.convene(body, AssemblyKind::BureauMeeting, exact(date), None);
                batch.insert(0, convene);
                batch.push(self.start(
                    post,
                    successor,
                    exact(date),
                    date,
                    Basis::CoOpted,
                    Some(&assembly),
                    None,
                ));
            }
        }
        batch
    }

    fn death(&mut self, person: u32, date: NaiveDate) -> Batch {
        if self.people[person as usize].dead {
            return Vec::new();
        }
        let mut batch = Vec::new();
        for post in self.held[person as usize].clone() {
            let p = &self.posts[post as usize];
            let Some(at) = p.holders.iter().position(|h| h.person == person) else {
                continue;
            };
            if p.holders[at].since >= date {
                // Elected today, dies today: keep it simple and let them live.
                return Vec::new();
            }
        }
        for post in self.held[person as usize].clone() {
            let Some(at) = self.posts[post as usize]
                .holders
                .iter()
                .position(|h| h.person == person)
            else {
                continue;
            };
            let (_, end) = self.end_one(post, at, date, EndReason::Died);
            batch.push(end);
        }
        self.people[person as usize].dead = true;
        batch
    }

    fn move_section(&mut self, section: u32, date: NaiveDate) -> Option<sijill_domain::Command> {
        let b = &self.bodies[section as usize];
        let (Scope::Commune(commune), Some(party), true) = (b.scope, b.party, b.active) else {
            return None;
        };
        if b.since.is_some_and(|since| since >= date) {
            return None;
        }
        let region = self.provinces[self.communes[commune as usize].province as usize].region;
        let branch = self.party_bodies[party as usize]
            .branches
            .get(region as usize)
            .copied()?;
        if b.parent == Some(branch) {
            return None;
        }
        self.bodies[section as usize].parent = Some(branch);
        Some(
            MoveBody {
                body: reference(&self.bodies[section as usize].handle),
                parent: Some(reference(&self.bodies[branch as usize].handle)),
                on: exact(date),
            }
            .into(),
        )
    }

    fn correct_constituency(&mut self, coordination: u32) -> Option<sijill_domain::Command> {
        let b = &self.bodies[coordination as usize];
        let Scope::Province(province) = b.scope else {
            return None;
        };
        let post = *b
            .posts
            .iter()
            .find(|p| self.posts[**p as usize].role == Role::Member)?;
        let holders = &self.posts[post as usize].holders;
        if holders.is_empty() || !b.active {
            return None;
        }
        let holder = self.rng.below(holders.len());
        let commune = *self.rng.pick(&self.provinces[province as usize].communes);
        let constituency = Some(reference(&self.communes[commune as usize].handle));
        let holder = &mut self.posts[post as usize].holders[holder];
        if holder.constituency == constituency {
            return None;
        }
        holder.constituency = constituency.clone();
        Some(
            CorrectConstituency {
                mandate: reference(&holder.mandate),
                constituency,
            }
            .into(),
        )
    }

    fn new_section(&mut self, party: u8, date: NaiveDate) -> Batch {
        let commune = self.rng.below(self.communes.len()) as u32;
        if self.sections[party as usize][commune as usize]
            .is_some_and(|s| self.bodies[s as usize].active)
        {
            return Vec::new();
        }
        let province = self.communes[commune as usize].province;
        let secretariats = &self.party_bodies[party as usize].secretariats;
        let Some(secretariat) = secretariats.iter().copied().find(
            |s| matches!(self.bodies[*s as usize].scope, Scope::Province(p) if p == province),
        ) else {
            return Vec::new();
        };
        let section = self.create_section(party, commune, secretariat, Some(date.year()));
        self.bodies[section as usize].election_day = date.ordinal();
        self.founding(section, date)
    }

    // -----------------------------------------------------------------------------------------
    // A year

    /// Every batch of `year`, in date order.
    pub fn year(&mut self, year: i32) -> Vec<Batch> {
        let mut happenings = self.schedule(year);
        // Stable: same-day happenings keep their scheduling order.
        happenings.sort_by_key(|(date, _)| *date);
        let mut later: Vec<(NaiveDate, Happening)> = Vec::new();
        let mut batches = Vec::new();
        let mut happenings = happenings.into_iter().peekable();
        loop {
            // Happenings scheduled by others (a date correction after a session) come in turn.
            let from_later = match (later.first(), happenings.peek()) {
                (Some((due, _)), Some((next, _))) => due <= next,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let (date, happening) = if from_later {
                later.remove(0)
            } else {
                happenings.next().unwrap_or_else(|| unreachable!())
            };
            let mut pending = Vec::new();
            let batch = self.happen(happening, date, &mut pending);
            later.extend(pending);
            later.sort_by_key(|(date, _)| *date);
            if !batch.is_empty() {
                batches.push(batch);
            }
        }
        batches
    }

    fn happen(
        &mut self,
        happening: Happening,
        date: NaiveDate,
        pending: &mut Vec<(NaiveDate, Happening)>,
    ) -> Batch {
        match happening {
            Happening::Election(body) => {
                let b = &self.bodies[body as usize];
                if !b.active || b.since.is_some_and(|since| since >= date) {
                    return Vec::new();
                }
                self.election(body, date)
            }
            Happening::Founding(body) => self.founding(body, date),
            Happening::Session(body) => {
                let b = &self.bodies[body as usize];
                if !b.active || b.since.is_some_and(|since| since >= date) {
                    return Vec::new();
                }
                self.session(body, date, pending)
            }
            Happening::Resignation { post, person } => self.resignation(post, person, date),
            Happening::Death(person) => self.death(person, date),
            Happening::Dissolution(body) => {
                let b = &self.bodies[body as usize];
                if !b.active || b.since.is_some_and(|since| since >= date) {
                    return Vec::new();
                }
                vec![self.dissolve(body, date)]
            }
            Happening::NewSection { party } => self.new_section(party, date),
            Happening::Rename(body) => {
                let party = &PARTIES[self.bodies[body as usize].party.unwrap_or(0) as usize];
                let arabic = format!("جمعية منتخبي {}", party.arabic);
                let french = format!("Association des élus, {}", party.french);
                vec![self.rename(body, date, &arabic, &french)]
            }
            Happening::NameCorrection(person) => self.correct_name(person).into_iter().collect(),
            Happening::Move(section) => self.move_section(section, date).into_iter().collect(),
            Happening::ConstituencyCorrection(coordination) => self
                .correct_constituency(coordination)
                .into_iter()
                .collect(),
            Happening::DateCorrection {
                assembly,
                date: exact_date,
            } => vec![self.correct_date(&assembly, exact_date)],
        }
    }

    fn schedule(&mut self, year: i32) -> Vec<(NaiveDate, Happening)> {
        let mut plan = Vec::new();
        for body in 0..self.bodies.len() as u32 {
            self.schedule_body(body, year, &mut plan);
        }
        for post in 0..self.posts.len() {
            for holder in 0..self.posts[post].holders.len() {
                let person = self.posts[post].holders[holder].person;
                if self.rng.chance_per_mille(RESIGNATION_PER_MILLE) {
                    plan.push((
                        self.random_day(year),
                        Happening::Resignation {
                            post: post as u32,
                            person,
                        },
                    ));
                }
                if self.rng.chance_per_mille(DEATH_PER_MILLE) {
                    plan.push((self.random_day(year), Happening::Death(person)));
                }
            }
        }
        for party in 0..self.party_bodies.len() as u8 {
            let sections = self.sections[party as usize].iter().flatten().count() as u32;
            for _ in 0..(sections * SECTION_TURNOVER_PER_MILLE).div_ceil(1000) {
                plan.push((self.random_day(year), Happening::NewSection { party }));
            }
            if year == self.first_year() + (party as i32 * 3) % self.scale.years.max(1) as i32
                && party % 3 == 0
            {
                plan.push((
                    self.random_day(year),
                    Happening::Rename(self.party_bodies[party as usize].association),
                ));
            }
        }
        let corrections =
            (self.people.len() as u64 * NAME_CORRECTION_PER_100K as u64).div_ceil(100_000);
        for _ in 0..corrections {
            let person = self.rng.below(self.people.len()) as u32;
            plan.push((self.random_day(year), Happening::NameCorrection(person)));
        }
        plan
    }

    fn schedule_body(&mut self, body: u32, year: i32, plan: &mut Vec<(NaiveDate, Happening)>) {
        let b = &self.bodies[body as usize];
        if let Some(planned) = b.planned {
            if planned == year {
                plan.push((day_of(year, b.election_day), Happening::Founding(body)));
            }
            return;
        }
        if !b.active {
            return;
        }
        let kind = b.kind;
        if let Some(date) = self.election_date(body, year) {
            plan.push((date, Happening::Election(body)));
        }
        let sessions: &[u32] = match kind {
            Kind::CommuneCouncil => &[35, 125, 278],
            Kind::Chamber | Kind::Parliament => &[100, 283],
            _ if self.rng.chance(70) => &[0],
            _ => &[],
        };
        for ordinal in sessions {
            let day = if *ordinal == 0 {
                self.random_day(year)
            } else {
                day_of(year, ordinal + self.rng.between(0, 5))
            };
            plan.push((day, Happening::Session(body)));
        }
        if kind == Kind::LocalSection && self.rng.chance_per_mille(SECTION_TURNOVER_PER_MILLE) {
            plan.push((self.random_day(year), Happening::Dissolution(body)));
        }
        if kind == Kind::LocalSection && self.rng.chance_per_mille(MOVE_PER_MILLE) {
            plan.push((self.random_day(year), Happening::Move(body)));
        }
        if kind == Kind::Coordination && self.rng.chance(CONSTITUENCY_CORRECTION_PERCENT) {
            plan.push((
                self.random_day(year),
                Happening::ConstituencyCorrection(body),
            ));
        }
    }

    fn random_day(&mut self, year: i32) -> NaiveDate {
        day_of(year, self.rng.between(1, 365))
    }
}
