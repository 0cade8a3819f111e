//! The store's error type. Each variant is a class the engine maps to an API status.

use std::io;

/// Errors from the content store, layer store and metadata.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Something that was asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The input (a tar, a digest, a reference, a manifest) is malformed or unsafe.
    #[error("{0}")]
    Invalid(String),
    /// The operation conflicts with the current state.
    #[error("{0}")]
    Conflict(String),
    /// Stored data does not match its digest or cannot be decoded.
    #[error("{0}")]
    Corrupt(String),
    /// An I/O error, with what was being done.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
    /// The metadata database failed.
    #[error("metadata store: {0}")]
    Db(String),
}

impl Error {
    /// An [`Error::Invalid`].
    pub fn invalid(msg: impl Into<String>) -> Error {
        Error::Invalid(msg.into())
    }
    /// An [`Error::NotFound`].
    pub fn not_found(msg: impl Into<String>) -> Error {
        Error::NotFound(msg.into())
    }
    /// An [`Error::Io`] with context.
    pub fn io(context: impl Into<String>, source: io::Error) -> Error {
        Error::Io { context: context.into(), source }
    }
}

/// Adds context to I/O results.
pub trait IoContext<T> {
    /// Wraps an I/O error with what was being done.
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T, Error>;
}

impl<T> IoContext<T> for Result<T, io::Error> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T, Error> {
        self.map_err(|e| Error::io(context(), e))
    }
}

impl<T> IoContext<T> for Result<T, rustix::io::Errno> {
    fn ctx(self, context: impl FnOnce() -> String) -> Result<T, Error> {
        self.map_err(|e| Error::io(context(), e.into()))
    }
}

macro_rules! db_error {
    ($($t:ty),*) => {$(
        impl From<$t> for Error {
            fn from(e: $t) -> Error { Error::Db(e.to_string()) }
        }
    )*};
}
db_error!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
