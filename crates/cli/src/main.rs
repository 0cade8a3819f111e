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
    /// Create and run a new container from an image
    #[command(disable_help_flag = true)]
    Run(commands::run::RunArgs),
    /// Create a new container
    #[command(disable_help_flag = true)]
    Create(commands::run::CreateArgs),
    /// Execute a command in a running container
    Exec(commands::interactive::ExecArgs),
    /// List containers
    Ps(commands::containers::PsArgs),
    /// Start one or more stopped containers
    Start(commands::interactive::StartArgs),
    /// Stop one or more running containers
    Stop(commands::containers::StopArgs),
    /// Restart one or more containers
    Restart(commands::containers::StopArgs),
    /// Kill one or more running containers
    Kill(commands::containers::KillArgs),
    /// Remove one or more containers
    Rm(commands::containers::RmArgs),
    /// Pause all processes within one or more containers
    Pause(commands::containers::NamesArgs),
    /// Unpause all processes within one or more containers
    Unpause(commands::containers::NamesArgs),
    /// Block until one or more containers stop, then print their exit codes
    Wait(commands::containers::NamesArgs),
    /// Rename a container
    Rename(commands::containers::RenameArgs),
    /// Attach local standard input, output, and error streams to a running container
    Attach(commands::interactive::AttachArgs),
    /// Fetch the logs of a container
    Logs(commands::containers::LogsArgs),
    /// Display the running processes of a container
    Top(commands::containers::TopArgs),
    /// Display a live stream of container(s) resource usage statistics
    Stats(commands::stats::StatsArgs),
    /// Update configuration of one or more containers
    Update(commands::containers::UpdateArgs),
    /// Manage containers
    Container {
        #[command(subcommand)]
        cmd: commands::containers::ContainerCmd,
    },
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
    use commands::{containers, images, interactive, run, stats, system};
    match cmd {
        Cmd::Run(a) => run::run(c, a),
        Cmd::Create(a) => run::create(c, a),
        Cmd::Exec(a) => interactive::exec(c, a),
        Cmd::Ps(a) => containers::ps(c, a),
        Cmd::Start(a) => interactive::start(c, a),
        Cmd::Stop(a) => containers::stop(c, a),
        Cmd::Restart(a) => containers::restart(c, a),
        Cmd::Kill(a) => containers::kill(c, a),
        Cmd::Rm(a) => containers::rm(c, a),
        Cmd::Pause(a) => containers::pause(c, a),
        Cmd::Unpause(a) => containers::unpause(c, a),
        Cmd::Wait(a) => containers::wait(c, a),
        Cmd::Rename(a) => containers::rename(c, a),
        Cmd::Attach(a) => interactive::attach(c, a),
        Cmd::Logs(a) => containers::logs(c, a),
        Cmd::Top(a) => containers::top(c, a),
        Cmd::Stats(a) => stats::stats(c, a),
        Cmd::Update(a) => containers::update(c, a),
        Cmd::Container { cmd } => containers::container(c, cmd),
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
