//! Files written whole or not at all: a baseline, `report.json`, the page, the summary and the
//! exports are replaced atomically, so that a run that fails or is killed halfway leaves the
//! previous file as it was, never a half-written one.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// A failed [`write_atomic`]: what failed, on which path, and the I/O error (in the message,
/// not as a `source()`).
#[derive(Debug, thiserror::Error)]
#[error("{action} `{}`: {error}", path.display())]
pub struct WriteError {
    /// What failed, e.g. `cannot create folder`.
    pub action: &'static str,
    pub path: PathBuf,
    pub error: io::Error,
}

/// Writes `bytes` to `path` atomically: a temporary file in the same folder (created if
/// needed), written, flushed to disk, then renamed over `path`, and the folder synced. On any
/// error `path` is untouched and the temporary file removed. The error names what failed and
/// the path it failed on.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), WriteError> {
    let fail = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |error: io::Error| WriteError { action, path, error }
    };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    fs::create_dir_all(dir).map_err(fail("cannot create folder", dir))?;
    let stem = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{stem}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(fail("cannot create a temporary file in", dir))?;
    let write = |temp: &mut tempfile::NamedTempFile| -> io::Result<()> {
        temp.write_all(bytes)?;
        temp.flush()?;
        set_readable_permissions(temp.as_file())?;
        temp.as_file().sync_all()
    };
    write(&mut temp).map_err(fail("cannot write", temp.path()))?;
    temp.persist(path).map_err(|e| fail("cannot replace", path)(e.error))?;
    // Make the rename itself durable. Best effort: some file systems cannot sync a folder.
    if let Ok(folder) = fs::File::open(dir) {
        let _ = folder.sync_all();
    }
    Ok(())
}

/// Temporary files are created `0600`; a baseline or an export is an ordinary file.
#[cfg(unix)]
fn set_readable_permissions(file: &fs::File) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn set_readable_permissions(_file: &fs::File) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_creates_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a/b/out.json");
        write_atomic(&path, b"{}\n").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"{}\n");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o644);
        }
    }
}
