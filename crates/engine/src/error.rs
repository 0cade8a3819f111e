//! Engine errors, classified where they arise. The server maps [`ErrorKind`] to an HTTP
//! status in one place.

/// The class of an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// Something named does not exist (404).
    NotFound,
    /// The request conflicts with current state (409).
    Conflict,
    /// The request is malformed or invalid (400).
    InvalidArgument,
    /// Not allowed (403).
    Forbidden,
    /// Not implemented here (501).
    NotImplemented,
    /// Nothing to do: already in the requested state (304).
    NotModified,
    /// Anything else (500).
    Internal,
}

/// An engine error: a class and a message for the user.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// The class.
    pub kind: ErrorKind,
    /// What went wrong, for the user.
    pub message: String,
}

/// Engine result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// An error of `kind`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error { kind, message: message.into() }
    }
    /// A [`ErrorKind::NotFound`].
    pub fn not_found(m: impl Into<String>) -> Error {
        Error::new(ErrorKind::NotFound, m)
    }
    /// A [`ErrorKind::Conflict`].
    pub fn conflict(m: impl Into<String>) -> Error {
        Error::new(ErrorKind::Conflict, m)
    }
    /// A [`ErrorKind::InvalidArgument`].
    pub fn invalid(m: impl Into<String>) -> Error {
        Error::new(ErrorKind::InvalidArgument, m)
    }
    /// A [`ErrorKind::Internal`].
    pub fn internal(m: impl Into<String>) -> Error {
        Error::new(ErrorKind::Internal, m)
    }
    /// Prefixes the message with context, keeping the class.
    pub fn context(self, c: impl std::fmt::Display) -> Error {
        Error { kind: self.kind, message: format!("{c}: {}", self.message) }
    }
}

impl From<store::Error> for Error {
    fn from(e: store::Error) -> Error {
        let kind = match &e {
            store::Error::NotFound(_) => ErrorKind::NotFound,
            store::Error::Invalid(_) => ErrorKind::InvalidArgument,
            store::Error::Conflict(_) => ErrorKind::Conflict,
            store::Error::Corrupt(_) | store::Error::Db(_) => ErrorKind::Internal,
            store::Error::Io { source, .. } if source.raw_os_error() == Some(libc_enospc()) => ErrorKind::Internal,
            store::Error::Io { .. } => ErrorKind::Internal,
        };
        Error::new(kind, e.to_string())
    }
}

fn libc_enospc() -> i32 {
    rustix::io::Errno::NOSPC.raw_os_error()
}

impl From<build::Error> for Error {
    fn from(e: build::Error) -> Error {
        Error::invalid(e.0)
    }
}
