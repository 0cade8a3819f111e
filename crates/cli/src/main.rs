//! berth: the command-line client. Commands and flags are Docker's; the work is done by
//! berthd, reached over its socket.

mod client;
mod commands;
mod format;

use clap::{Parser, Subcommand};
use client::Client;

/// The default daemon socket.
pub const DEFAULT_HOST: &str = "unix:///run/berth/berth.sock";

#[derive(Parser)]
#[command(name = "berth", about = "A Docker-compatible container engine", disable_version_flag = true)]
struct Cli {
    /// Daemon socket to connect to
    #[arg(short = 'H', long = "host")]
    host: Option<String>,
    /// Enable debug mode
    #[arg(short = 'D', long)]
    debug: bool,
    /// Set the logging level
    #[arg(short = 'l', long = "log-level")]
    log_level: Option<String>,
    /// Location of client config files (accepted for compatibility)
    #[arg(long)]
    config: Option<String>,
    /// Print version information and quit
    #[arg(short = 'v', long)]
    version: bool,
    #[command(subcommand)]
    cmd: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// List images
    Images(commands::images::LsArgs),
    /// Manage images
    Image {
        #[command(subcommand)]
        cmd: commands::images::ImageCmd,
    },
    /// Import the contents from a tarball to create a filesystem image
    Import(commands::images::ImportArgs),
    /// Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE
    Tag(commands::images::TagArgs),
    /// Remove one or more images
    Rmi(commands::images::RmArgs),
    /// Show the history of an image
    History(commands::images::HistoryArgs),
    /// Save one or more images to a tar archive (streamed to STDOUT by default)
    Save(commands::images::SaveArgs),
    /// Load an image from a tar archive or STDIN
    Load(commands::images::LoadArgs),
    /// Return low-level information on berth objects
    Inspect(commands::system::InspectArgs),
    /// Show the berth version information
    Version(commands::system::FormatArgs),
    /// Display system-wide information
    Info(commands::system::FormatArgs),
    /// Get real time events from the server
    Events(commands::system::EventsArgs),
    /// Manage berth
    System {
        #[command(subcommand)]
        cmd: commands::system::SystemCmd,
    },
}

fn host(cli: &Cli) -> String {
    cli.host
        .clone()
        .or_else(|| std::env::var("BERTH_HOST").ok().filter(|s| !s.is_empty()))
        .or_else(|| std::env::var("DOCKER_HOST").ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| DEFAULT_HOST.to_string())
}

fn main() {
    // A closed pipe (`berth images | head`) ends the process quietly.
    unsafe { libc::signal(libc::SIGPIPE, libc::SIG_DFL) };
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 125 } else { 0 };
            let _ = e.print();
            std::process::exit(code);
        }
    };
    if cli.version {
        println!("berth version {}", api::VERSION);
        return;
    }
    let Some(cmd) = &cli.cmd else {
        use clap::CommandFactory;
        let _ = Cli::command().print_help();
        return;
    };
    let code = match Client::new(&host(&cli)).and_then(|c| run(&c, cmd)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{e:#}");
            match e.downcast_ref::<commands::StatusError>() {
                Some(s) => s.0,
                None => 1,
            }
        }
    };
    std::process::exit(code);
}

fn run(c: &Client, cmd: &Cmd) -> anyhow::Result<i32> {
    use commands::{images, system};
    match cmd {
        Cmd::Images(a) => images::ls(c, a),
        Cmd::Image { cmd } => images::image(c, cmd),
        Cmd::Import(a) => images::import(c, a),
        Cmd::Tag(a) => images::tag(c, a),
        Cmd::Rmi(a) => images::rm(c, a),
        Cmd::History(a) => images::history(c, a),
        Cmd::Save(a) => images::save(c, a),
        Cmd::Load(a) => images::load(c, a),
        Cmd::Inspect(a) => system::inspect(c, a),
        Cmd::Version(a) => system::version(c, a),
        Cmd::Info(a) => system::info(c, a),
        Cmd::Events(a) => system::events(c, a),
        Cmd::System { cmd } => system::system(c, cmd),
    }
}
