//! The command line: flags are data, with their help text beside them.
//!
//! Three families of subcommand: writes (record files and one subcommand per domain command,
//! all taking `--actor`, `--source`, `--command-id`), questions (all taking `--as-of` and
//! `--as-recorded-at`), and operations on the log. `docs/cli.md` is the long form of this file.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use sijill_domain::EdtfDate;

/// Where the data folder is when neither `--data` nor `SIJILL_DATA` says.
pub const DATA_DIR_DEFAULT: &str = "sijill-data";

/// Most results `search` prints unless `--limit` says otherwise.
pub const SEARCH_LIMIT_DEFAULT: usize = 20;
/// Most results `search` prints at all.
pub const SEARCH_LIMIT_MAX: usize = 1_000;
/// Events `log` prints unless `--limit` says otherwise.
pub const LOG_LIMIT_DEFAULT: usize = 100;

#[derive(Debug, Parser)]
#[command(
    name = "sijill",
    version,
    about = "An event-sourced registry of how organisations are structured: record what assemblies \
             decided, ask who holds what (as of any date, as recorded at any point), audit the log",
    after_help = "Start with `sijill demo`. Exit codes: 0 ok, 1 usage, 2 bad input or rule violation, \
                  3 not found, 4 registry unusable (data folder locked, newer format, corrupt; database or server unreachable), 5 internal error."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The data folder holding the registry [default: $SIJILL_DATA, else ./sijill-data]
    #[arg(long, global = true, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Keep the registry in PostgreSQL instead of a data folder: postgres://USER@HOST:PORT/DATABASE[?registry=NAME] (registry default: "default")
    #[arg(long, global = true, value_name = "URL", env = "SIJILL_STORE")]
    pub store: Option<String>,
    /// Print JSON instead of tables (one document on stdout)
    #[arg(long, global = true)]
    pub json: bool,
    /// Talk to a running `sijill serve` at this address instead of opening a data folder
    #[arg(
        long,
        global = true,
        value_name = "URL",
        env = "SIJILL_SERVER",
        conflicts_with = "data"
    )]
    pub server: Option<String>,
    /// The bearer token for --server (from the server's token file, or printed by `serve --demo`)
    #[arg(
        long,
        global = true,
        value_name = "TOKEN",
        env = "SIJILL_TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
}

/// Who records, on what document, under which idempotency key.
#[derive(Debug, Args, Clone, Default)]
pub struct WriteArgs {
    /// Who records this [default: $USER]
    #[arg(long, value_name = "NAME")]
    pub actor: Option<String>,
    /// The document the record rests on (minutes, a press report, a decree)
    #[arg(long, value_name = "TEXT")]
    pub source: Option<String>,
    /// Idempotency key: sending the same id again records nothing new and prints the first result
    #[arg(long, value_name = "ID")]
    pub command_id: Option<String>,
}

/// Which state a question is asked of.
#[derive(Debug, Args, Clone, Copy, Default)]
pub struct AtArgs {
    /// Ask about this date (EDTF: 2017, 2017-03, 2017-03-04, 2016-12-11/2017-01-31) [default: today]
    #[arg(long, value_name = "DATE")]
    pub as_of: Option<EdtfDate>,
    /// Ask the registry as it stood after the first POSITION events of the log (before later corrections)
    #[arg(long, value_name = "POSITION")]
    pub as_recorded_at: Option<u64>,
}

/// A name as typed: the printed text, its language, and other names.
#[derive(Debug, Args, Clone)]
pub struct NameArgs {
    /// The name as printed in the source
    #[arg(long, value_name = "TEXT")]
    pub name: String,
    /// The printed name's language (BCP-47: ar, fr, en, ar-Latn)
    #[arg(long, value_name = "TAG")]
    pub lang: Option<String>,
    /// Another name (a transliteration, a variant), as LANG=TEXT or TEXT; repeat for several
    #[arg(long = "other", value_name = "[LANG=]TEXT")]
    pub others: Vec<String>,
}

/// How a person was elected: unanimously, by acclamation, by a tally, or (none given) not said.
#[derive(Debug, Args, Clone, Copy)]
pub struct VoteArgs {
    /// Elected unanimously
    #[arg(long, conflicts_with_all = ["acclamation", "votes_for"])]
    pub unanimous: bool,
    /// Elected by acclamation
    #[arg(long, conflicts_with = "votes_for")]
    pub acclamation: bool,
    /// Votes for (elected by majority; give --against and --abstain too)
    #[arg(long = "for", value_name = "N")]
    pub votes_for: Option<u32>,
    /// Votes against
    #[arg(long, value_name = "N", requires = "votes_for")]
    pub against: Option<u32>,
    /// Abstentions
    #[arg(long, value_name = "N", requires = "votes_for")]
    pub abstain: Option<u32>,
}

/// Where and for whom a new mandate starts.
#[derive(Debug, Args, Clone)]
pub struct MandateArgs {
    /// The person (handle or id)
    pub person: String,
    /// The post (handle or id)
    pub post: String,
    /// When the mandate starts (EDTF)
    #[arg(long, value_name = "DATE")]
    pub from: String,
    /// The assembly that decided it
    #[arg(long, value_name = "ASSEMBLY")]
    pub assembly: Option<String>,
    /// What the holder represents: an area (a commune) or a body (a chamber)
    #[arg(long, value_name = "AREA|BODY")]
    pub constituency: Option<String>,
    /// A handle for the mandate itself, to refer to it later
    #[arg(long, value_name = "HANDLE")]
    pub handle: Option<String>,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Gender {
    Female,
    Male,
    Other,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AreaKind {
    Region,
    Province,
    Prefecture,
    Commune,
    Other,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum AssemblyKind {
    FoundingGeneralAssembly,
    GeneralAssembly,
    Congress,
    CouncilSession,
    BureauMeeting,
    Other,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EndReason {
    Resigned,
    Removed,
    TermExpired,
    Died,
    BodyDissolved,
    Replaced,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DateField {
    FoundedOn,
    DissolvedOn,
    EstablishedOn,
    AbolishedOn,
    HeldOn,
    From,
    To,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Create a registry holding the founding example (Khemisset, 2016) and show its coordination
    Demo {
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Create an empty registry in the data folder
    Init,
    /// Record files of commands (TOML, or JSON by extension); each file is one atomic batch
    Record {
        /// Record files, recorded in the order given
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
        #[command(flatten)]
        write: WriteArgs,
    },

    /// Register an area (region, province, commune)
    RegisterArea {
        handle: String,
        #[arg(long, value_enum)]
        kind: AreaKind,
        #[command(flatten)]
        name: NameArgs,
        /// The area it lies in
        #[arg(long, value_name = "AREA")]
        parent: Option<String>,
        /// Its official code
        #[arg(long)]
        code: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Register a person
    RegisterPerson {
        handle: String,
        #[command(flatten)]
        name: NameArgs,
        #[arg(long, value_enum)]
        gender: Option<Gender>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Found a body (or record an outside one: a chamber, a commune council)
    FoundBody {
        handle: String,
        /// What it is: party, association, national-bureau, provincial-coordination, chamber, ...
        #[arg(long)]
        kind: String,
        #[command(flatten)]
        name: NameArgs,
        #[arg(long, value_name = "BODY")]
        parent: Option<String>,
        #[arg(long, value_name = "AREA")]
        area: Option<String>,
        #[arg(long, value_name = "DATE")]
        founded_on: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Give a body a new name from a date (to fix a misspelling, use correct-name)
    RenameBody {
        body: String,
        #[command(flatten)]
        name: NameArgs,
        #[arg(long, value_name = "DATE")]
        on: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Move a body under another parent (or make it a root: leave out --parent)
    MoveBody {
        body: String,
        #[arg(long, value_name = "BODY")]
        parent: Option<String>,
        #[arg(long, value_name = "DATE")]
        on: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Dissolve a body; its open mandates end with it
    DissolveBody {
        body: String,
        #[arg(long, value_name = "DATE")]
        on: String,
        /// Dissolve its active sub-bodies too
        #[arg(long)]
        cascade: bool,
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Establish a post in a body (it exists even while vacant)
    EstablishPost {
        handle: String,
        #[arg(long, value_name = "BODY")]
        body: String,
        /// Its title, as printed
        #[arg(long, value_name = "TEXT")]
        title: String,
        #[arg(long, value_name = "TAG")]
        lang: Option<String>,
        #[arg(long = "other", value_name = "[LANG=]TEXT")]
        others: Vec<String>,
        /// How many can hold it at once: a number, or "unlimited"
        #[arg(long, default_value = "unlimited")]
        seats: String,
        #[arg(long, value_name = "DATE")]
        established_on: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Abolish a post from a date
    AbolishPost {
        post: String,
        #[arg(long, value_name = "DATE")]
        on: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Record an assembly: a congress, a founding general assembly, a council session
    ConveneAssembly {
        handle: String,
        #[arg(long, value_name = "BODY")]
        body: String,
        #[arg(long, value_enum)]
        kind: AssemblyKind,
        #[arg(long, value_name = "DATE")]
        held_on: String,
        /// Its number, as in "the 7th session"
        #[arg(long, value_name = "N")]
        ordinal: Option<u32>,
        #[arg(long, value_name = "TEXT")]
        venue: Option<String>,
        #[arg(long, value_name = "TEXT")]
        name: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Record who attended an assembly
    RecordAttendance {
        assembly: String,
        #[arg(required = true, value_name = "PERSON")]
        people: Vec<String>,
        /// The capacity they attended in (the same for every person given)
        #[arg(long, value_name = "TEXT")]
        capacity: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Record a resolution an assembly adopted
    AdoptResolution {
        assembly: String,
        #[arg(long, value_name = "TEXT")]
        title: String,
        #[arg(long, value_name = "TEXT")]
        text: Option<String>,
        /// How it was adopted: unanimous, acclamation, consensus, or majority (with --for)
        #[arg(long, value_name = "VOTE")]
        vote: Option<String>,
        #[arg(long = "for", value_name = "N")]
        votes_for: Option<u32>,
        #[arg(long, value_name = "N")]
        against: Option<u32>,
        #[arg(long, value_name = "N")]
        abstain: Option<u32>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Start a mandate by election (--unanimous, --acclamation, or a tally with --for)
    Elect {
        #[command(flatten)]
        mandate: MandateArgs,
        #[command(flatten)]
        vote: VoteArgs,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Start a mandate chosen by consensus
    Choose {
        #[command(flatten)]
        mandate: MandateArgs,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Start a mandate by appointment
    Appoint {
        #[command(flatten)]
        mandate: MandateArgs,
        /// Who appointed them: a person or a body
        #[arg(long, value_name = "PERSON|BODY")]
        by: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Start a mandate by co-option
    CoOpt {
        #[command(flatten)]
        mandate: MandateArgs,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// End a mandate on a date, for a reason
    EndMandate {
        mandate: String,
        #[arg(long, value_name = "DATE")]
        on: String,
        #[arg(long, value_enum)]
        reason: EndReason,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Correct a mistaken name (the old one stays in the log and the audit trail)
    CorrectName {
        entity: String,
        #[command(flatten)]
        name: NameArgs,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Correct a mistaken date of a body, post, assembly or mandate
    CorrectDate {
        entity: String,
        #[arg(value_enum)]
        field: DateField,
        date: String,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Correct the constituency a mandate's holder represents (leave out --constituency to clear it)
    CorrectConstituency {
        mandate: String,
        #[arg(long, value_name = "AREA|BODY")]
        constituency: Option<String>,
        #[command(flatten)]
        write: WriteArgs,
    },
    /// Retract the event at a log position: it stays in the log but no longer shapes the state
    Retract {
        position: u64,
        #[arg(long, value_name = "TEXT")]
        reason: String,
        #[command(flatten)]
        write: WriteArgs,
    },

    /// The forest of bodies
    Tree {
        #[command(flatten)]
        at: AtArgs,
    },
    /// Who holds each post of a body
    Roster {
        body: String,
        #[command(flatten)]
        at: AtArgs,
        /// Print CSV instead of a table (see docs/interop.md)
        #[arg(long, value_enum)]
        format: Option<crate::interop::RosterFormat>,
    },
    /// A person and every mandate they hold or held
    Person {
        person: String,
        #[command(flatten)]
        at: AtArgs,
    },
    /// Every event in the log that concerns an entity
    History {
        entity: String,
        #[command(flatten)]
        at: AtArgs,
    },
    /// Full provenance of a mandate, or of every mandate of a person
    Audit {
        #[arg(value_name = "MANDATE|PERSON")]
        entity: String,
        #[command(flatten)]
        at: AtArgs,
    },
    /// Posts with seats not all held
    Vacancies {
        #[command(flatten)]
        at: AtArgs,
    },
    /// Which constituencies of its area a body's members represent, and which it misses
    Representation {
        body: String,
        #[command(flatten)]
        at: AtArgs,
    },
    /// Find people, bodies, posts and areas by name, in any script, spelling or word order
    Search {
        text: String,
        #[arg(long, default_value_t = SEARCH_LIMIT_DEFAULT)]
        limit: usize,
        #[command(flatten)]
        at: AtArgs,
    },
    /// The log itself, event by event
    Log {
        /// First position shown
        #[arg(long, default_value_t = 1)]
        from: u64,
        #[arg(long, default_value_t = LOG_LIMIT_DEFAULT)]
        limit: usize,
    },

    /// Serve the registry over HTTP: the JSON API under /v1 with token roles (see docs/api.md)
    Serve(sijill_server::ServeOptions),
    /// Recompute the hash chain of the whole log
    Verify,
    /// Write the log as JSON Lines with its hash chain, or the registry in another format (to FILE, or stdout)
    Export {
        file: Option<PathBuf>,
        /// What to write (see docs/interop.md)
        #[arg(long, value_enum, default_value_t)]
        format: crate::interop::ExportFormat,
        #[command(flatten)]
        at: AtArgs,
        /// csv: this body's roster only; dot: this body's posts and holders
        #[arg(long, value_name = "BODY")]
        body: Option<String>,
    },
    /// Append an exported log to an empty registry (the chain is checked first), or record a Popolo file
    Import {
        file: PathBuf,
        /// What the file is
        #[arg(long, value_enum, default_value_t)]
        format: crate::interop::ImportFormat,
        /// Who records a Popolo import [default: $USER]
        #[arg(long, value_name = "NAME")]
        actor: Option<String>,
    },
    /// Counts of events and entities
    Stats,
    /// Copy the whole log from one store to another, empty one (data folder or PostgreSQL URL), checking the hash chain
    CopyLog {
        /// Where the log is: a data folder, or postgres://USER@HOST:PORT/DATABASE[?registry=NAME]
        #[arg(long, value_name = "DIR|URL")]
        from: String,
        /// Where it goes (created when missing, refused unless empty): a data folder or a PostgreSQL URL
        #[arg(long, value_name = "DIR|URL")]
        to: String,
    },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_clap_tree_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
