//! Which customerd server may keep customers in memory: only one that is
//! provably the sole writer of its SQLite file.
//!
//! Every server of a SQLite database marks one byte of the file (the
//! "presence" byte) with a shared lock, and takes a second byte (the "sole"
//! byte) in one of two ways: exclusively, when no other server holds it, or
//! shared otherwise. A server that holds the sole byte exclusively is the only
//! one that can write: a newcomer waits for a shared hold on that byte before
//! it touches any data, and the sole server gives up its exclusive hold (after
//! dropping whatever it keeps in memory) as soon as it sees the newcomer's
//! presence mark. The locks are open-file-description locks on bytes SQLite
//! never locks, released by the kernel when a process ends.
//!
//! PostgreSQL and MySQL replicas are never sole: they do not tell each other
//! about writes.

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Past the bytes SQLite locks (0x4000_0000 to 0x4000_0200), in the page it
/// never uses for data.
#[cfg(target_os = "linux")]
const PRESENCE_BYTE: i64 = 0x4000_0400;
#[cfg(target_os = "linux")]
const SOLE_BYTE: i64 = 0x4000_0401;

/// How long a newcomer waits for a sole server to make room.
const MAKE_ROOM_TIMEOUT: Duration = Duration::from_secs(10);

/// This server's marks on its database file.
#[derive(Debug)]
pub struct Presence {
    /// `None` for a database no other process can open (in memory).
    file: Option<File>,
    sole: AtomicBool,
}

impl Presence {
    /// Marks the SQLite database named by `url` as served by this process,
    /// waiting (blocking the thread) while a sole server makes room. `None`
    /// for other backends and where open-file-description locks are missing.
    pub fn join(url: &str) -> std::io::Result<Option<Self>> {
        use std::str::FromStr;
        if !url.starts_with("sqlite:") {
            return Ok(None);
        }
        let Ok(options) = sea_orm::sqlx::sqlite::SqliteConnectOptions::from_str(url) else {
            return Ok(None);
        };
        let path = options.get_filename();
        if url.contains(":memory:") || url.contains("mode=memory") || path.as_os_str().is_empty() {
            return Ok(Some(Self {
                file: None,
                sole: AtomicBool::new(true),
            }));
        }
        join_file(path)
    }

    /// Whether this server is the only one that can write to the database.
    pub fn sole(&self) -> bool {
        self.sole.load(Ordering::SeqCst)
    }

    /// Whether another server has marked the database.
    pub fn company(&self) -> bool {
        match &self.file {
            None => false,
            Some(file) => other_marks(file),
        }
    }

    /// Gives up being the sole server, so that a waiting newcomer may start.
    /// Call only after dropping everything that relied on being sole.
    pub fn step_back(&self) {
        if let Some(file) = &self.file
            && self.sole.swap(false, Ordering::SeqCst)
        {
            // Turning the exclusive hold into a shared one cannot conflict.
            let _ = set_lock(file, SOLE_BYTE, LockKind::Shared);
        }
    }
}

#[derive(Clone, Copy)]
enum LockKind {
    Shared,
    Exclusive,
}

#[cfg(target_os = "linux")]
fn lock_request(byte: i64, kind: libc::c_int) -> libc::flock {
    // SAFETY: `flock` is plain data; all-zero is a valid value.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = kind as libc::c_short;
    lock.l_whence = libc::SEEK_SET as libc::c_short;
    lock.l_start = byte;
    lock.l_len = 1;
    lock
}

/// Takes a lock without waiting; `Ok(false)` when another holder conflicts.
#[cfg(target_os = "linux")]
fn set_lock(file: &File, byte: i64, kind: LockKind) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    let kind = match kind {
        LockKind::Shared => libc::F_RDLCK,
        LockKind::Exclusive => libc::F_WRLCK,
    };
    let mut lock = lock_request(byte, kind);
    // SAFETY: fcntl with a valid descriptor and a valid `flock`.
    if unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_SETLK, &mut lock) } == 0 {
        return Ok(true);
    }
    let err = std::io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EAGAIN | libc::EACCES) => Ok(false),
        _ => Err(err),
    }
}

#[cfg(target_os = "linux")]
fn other_marks(file: &File) -> bool {
    use std::os::fd::AsRawFd;
    let mut probe = lock_request(PRESENCE_BYTE, libc::F_WRLCK);
    // SAFETY: as above. Locks held through this same open file description
    // never conflict, so only other servers' marks are reported.
    let asked = unsafe { libc::fcntl(file.as_raw_fd(), libc::F_OFD_GETLK, &mut probe) };
    asked != 0 || probe.l_type != libc::F_UNLCK as libc::c_short
}

#[cfg(target_os = "linux")]
fn join_file(path: &Path) -> std::io::Result<Option<Presence>> {
    // Writable: an exclusive lock needs a descriptor open for writing.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)?;
    match set_lock(&file, PRESENCE_BYTE, LockKind::Shared) {
        Ok(true) => {}
        Ok(false) => return Err(std::io::Error::other("cannot mark the database as served")),
        // Filesystems without such locks: behave like a networked database.
        Err(err) if matches!(err.raw_os_error(), Some(libc::EINVAL | libc::ENOLCK)) => {
            return Ok(None);
        }
        Err(err) => return Err(err),
    }
    if set_lock(&file, SOLE_BYTE, LockKind::Exclusive)? {
        return Ok(Some(Presence {
            file: Some(file),
            sole: AtomicBool::new(true),
        }));
    }
    // Another server is sole; it steps back once it sees our presence mark.
    let deadline = Instant::now() + MAKE_ROOM_TIMEOUT;
    while !set_lock(&file, SOLE_BYTE, LockKind::Shared)? {
        if Instant::now() > deadline {
            return Err(std::io::Error::other(
                "another customerd server of this database did not make room within 10 s",
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    Ok(Some(Presence {
        file: Some(file),
        sole: AtomicBool::new(false),
    }))
}

#[cfg(not(target_os = "linux"))]
fn join_file(_path: &Path) -> std::io::Result<Option<Presence>> {
    Ok(None)
}

#[cfg(not(target_os = "linux"))]
fn other_marks(_file: &File) -> bool {
    true
}

#[cfg(not(target_os = "linux"))]
fn set_lock(_file: &File, _byte: i64, _kind: LockKind) -> std::io::Result<bool> {
    Ok(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database_file() -> (std::path::PathBuf, String) {
        let path = std::env::temp_dir().join(crate::ids::random_token("customerd-presence-", 6));
        std::fs::write(&path, b"").unwrap();
        let url = format!("sqlite://{}?mode=rwc", path.display());
        (path, url)
    }

    #[test]
    fn the_first_server_is_sole_until_it_makes_room() {
        let (path, url) = database_file();
        let first = Presence::join(&url).unwrap().expect("a presence on Linux");
        assert!(first.sole());
        assert!(!first.company());
        let newcomer = std::thread::spawn(move || Presence::join(&url).unwrap().unwrap());
        // The newcomer's mark shows before it can start.
        while !first.company() {
            std::thread::sleep(Duration::from_millis(1));
        }
        assert!(!newcomer.is_finished(), "the newcomer waits for room");
        first.step_back();
        let second = newcomer.join().unwrap();
        assert!(!first.sole());
        assert!(!second.sole());
        assert!(second.company());
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn only_sqlite_databases_have_a_presence() {
        assert!(Presence::join("postgres://localhost/db").unwrap().is_none());
        let memory = Presence::join("sqlite::memory:").unwrap().unwrap();
        assert!(memory.sole());
        assert!(!memory.company());
    }
}
