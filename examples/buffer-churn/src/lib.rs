//! A log shipper that sends each log record as one length-prefixed frame.
//!
//! # The problem
//!
//! A [`FrameWriter`] turns [`Record`]s into frames and writes each frame to its connection with
//! a single `write_all`. The frame starts with the length of its body, so the body has to be
//! encoded before anything is written: every frame goes through a buffer. The writer runs once
//! per log line, on the hot path of whatever service is logging.
//!
//! # The good version
//!
//! The writer keeps one `Vec<u8>` and clears it before each frame. After the first few frames the
//! buffer has the capacity it needs, and [`FrameWriter::write_record`] allocates nothing at all.
//!
//! # The regression (`--features regress`)
//!
//! `write_record` replaces its buffer with the result of [`encode`], a fresh `Vec` sized for the
//! frame: one allocation per frame, and the previous buffer freed. The bytes on the wire are the
//! same. In a heap profile `alloc_objects` goes from 0 to 1 per frame and `alloc_space` from 0 to
//! the frame's length; `inuse_space` stays 0, since the old buffer is freed as the new one
//! arrives. At a few million log lines a second, that is a few million calls into the
//! allocator that the good version does not make.
//!
//! # Wire format
//!
//! All integers big-endian. A string is its length as a `u16`, then its UTF-8 bytes.
//!
//! ```text
//! frame  = body_len:u32 body
//! body   = timestamp_ms:u64 level:u8 target:string message:string
//!          field_count:u16 (key:string value:string)*
//! ```

use std::io::{self, Write};

/// How severe a record is, as its byte on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Level {
    /// Something failed.
    Error = 1,
    /// Something looks wrong.
    Warn = 2,
    /// Normal operation.
    Info = 3,
    /// Detail for debugging.
    Debug = 4,
    /// Even more detail.
    Trace = 5,
}

/// One log record, borrowed from whoever logged it.
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    /// When it was logged, in milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// How severe it is.
    pub level: Level,
    /// The module that logged it, such as `checkout::payment`.
    pub target: &'a str,
    /// The message.
    pub message: &'a str,
    /// Structured fields, as key and value.
    pub fields: &'a [(&'a str, &'a str)],
}

impl Record<'_> {
    /// The length of this record's frame, length prefix included.
    pub fn frame_len(&self) -> usize {
        let string = |s: &str| 2 + s.len();
        let fields: usize = self.fields.iter().map(|(k, v)| string(k) + string(v)).sum();
        4 + 8 + 1 + string(self.target) + string(self.message) + 2 + fields
    }
}

/// Encodes `record` as a frame in a new buffer of exactly the frame's length.
///
/// Fails with [`io::ErrorKind::InvalidInput`] when a string is longer than 65,535 bytes or there
/// are more than 65,535 fields.
pub fn encode(record: &Record<'_>) -> io::Result<Vec<u8>> {
    let mut frame = Vec::with_capacity(record.frame_len());
    encode_into(record, &mut frame)?;
    Ok(frame)
}

/// Appends `record`'s frame to `buf`. On error, `buf` is left as it was.
pub fn encode_into(record: &Record<'_>, buf: &mut Vec<u8>) -> io::Result<()> {
    let start = buf.len();
    let result = encode_body(record, buf);
    if result.is_err() {
        buf.truncate(start);
    }
    result
}

fn encode_body(record: &Record<'_>, buf: &mut Vec<u8>) -> io::Result<()> {
    let start = buf.len();
    buf.extend_from_slice(&[0; 4]); // the body's length, written once it is known
    buf.extend_from_slice(&record.timestamp_ms.to_be_bytes());
    buf.push(record.level as u8);
    put_string(buf, record.target)?;
    put_string(buf, record.message)?;
    put_u16(buf, record.fields.len(), "more than 65535 fields")?;
    for (key, value) in record.fields {
        put_string(buf, key)?;
        put_string(buf, value)?;
    }
    let body_len = u32::try_from(buf.len() - start - 4).map_err(|_| invalid("frame over 4 GiB"))?;
    buf[start..start + 4].copy_from_slice(&body_len.to_be_bytes());
    Ok(())
}

fn put_string(buf: &mut Vec<u8>, s: &str) -> io::Result<()> {
    put_u16(buf, s.len(), "string longer than 65535 bytes")?;
    buf.extend_from_slice(s.as_bytes());
    Ok(())
}

fn put_u16(buf: &mut Vec<u8>, n: usize, too_big: &'static str) -> io::Result<()> {
    let n = u16::try_from(n).map_err(|_| invalid(too_big))?;
    buf.extend_from_slice(&n.to_be_bytes());
    Ok(())
}

fn invalid(message: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

/// Writes records to `W` as frames, one `write_all` per frame.
#[derive(Debug)]
pub struct FrameWriter<W> {
    out: W,
    buf: Vec<u8>,
}

impl<W: Write> FrameWriter<W> {
    /// A writer that sends frames to `out`.
    pub fn new(out: W) -> Self {
        FrameWriter { out, buf: Vec::new() }
    }

    /// Encodes `record` and writes its frame. Nothing is written when encoding fails.
    ///
    /// Kept out of line so that profiles attribute the encoding to this function.
    #[inline(never)]
    pub fn write_record(&mut self, record: &Record<'_>) -> io::Result<()> {
        #[cfg(not(feature = "regress"))]
        {
            // Reuse the buffer: once it has grown to the largest frame, no allocation.
            self.buf.clear();
            encode_into(record, &mut self.buf)?;
        }
        #[cfg(feature = "regress")]
        {
            // Regression: a new buffer for every frame; the old one is freed.
            self.buf = encode(record)?;
        }
        self.out.write_all(&self.buf)
    }

    /// The connection.
    pub fn get_ref(&self) -> &W {
        &self.out
    }

    /// The connection, leaving the writer.
    pub fn into_inner(self) -> W {
        self.out
    }
}

#[cfg(test)]
mod tests {
    //! The same assertions hold with and without `regress`: only the cost differs.
    use super::*;

    const FIELDS: &[(&str, &str)] = &[("order", "1042"), ("ms", "87")];

    fn paid() -> Record<'static> {
        Record {
            timestamp_ms: 0x0102_0304_0506_0708,
            level: Level::Info,
            target: "pay",
            message: "paid",
            fields: FIELDS,
        }
    }

    #[rustfmt::skip]
    const PAID_FRAME: &[u8] = &[
        0, 0, 0, 43,                        // body length
        1, 2, 3, 4, 5, 6, 7, 8,             // timestamp
        3,                                  // Info
        0, 3, b'p', b'a', b'y',             // target
        0, 4, b'p', b'a', b'i', b'd',       // message
        0, 2,                               // two fields
        0, 5, b'o', b'r', b'd', b'e', b'r', 0, 4, b'1', b'0', b'4', b'2',
        0, 2, b'm', b's', 0, 2, b'8', b'7',
    ];

    #[test]
    fn a_record_is_one_frame_on_the_wire() {
        assert_eq!(paid().frame_len(), PAID_FRAME.len());
        assert_eq!(encode(&paid()).unwrap(), PAID_FRAME);
        let mut writer = FrameWriter::new(Vec::new());
        writer.write_record(&paid()).unwrap();
        assert_eq!(writer.get_ref(), PAID_FRAME);
    }

    #[test]
    fn frames_follow_each_other_without_leftovers() {
        let short = Record { level: Level::Error, message: "x", fields: &[], ..paid() };
        let mut writer = FrameWriter::new(Vec::new());
        writer.write_record(&paid()).unwrap();
        writer.write_record(&short).unwrap();
        writer.write_record(&paid()).unwrap();
        let mut expected = PAID_FRAME.to_vec();
        expected.extend(encode(&short).unwrap());
        expected.extend(PAID_FRAME);
        assert_eq!(writer.into_inner(), expected);
    }

    #[test]
    fn an_oversized_record_writes_nothing() {
        let long = "x".repeat(70_000);
        let bad = Record { message: &long, ..paid() };
        let mut writer = FrameWriter::new(Vec::new());
        let err = writer.write_record(&bad).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        writer.write_record(&paid()).unwrap();
        assert_eq!(writer.get_ref(), PAID_FRAME);

        let mut buf = b"kept".to_vec();
        assert!(encode_into(&bad, &mut buf).is_err());
        assert_eq!(buf, b"kept");
    }
}
