// Package logcap captures a daemon's stdout and stderr into its log file,
// framed by line, with rotation, and reads the logs back for `tend logs`.
// It knows nothing of processes: the supervisor hands it the read ends of
// the child's pipes ([Log.Capture]) and wires signals to [Log.Rotate] and
// [Log.Reopen].
//
// # Format
//
// Both streams go to one file (by convention "output.log"), one record per
// line:
//
//	2026-11-23T19:45:12.123456Z stdout listening on :8080
//	2026-11-23T19:45:12.123470Z stderr warning: cache cold
//	2026-11-23T19:45:13.000001Z stdout+ first 65536 bytes of a long line
//	2026-11-23T19:45:13.000001Z stdout ...and the rest
//
// The timestamp is UTC with microseconds, always 27 bytes, RFC 3339; it is
// the time the capture read the line from the pipe (one clock reading per
// read(2), so lines read together share it). The stream name is "stdout"
// or "stderr" (whatever Capture was given). Both prefixes are on by default,
// so `tend logs` can always filter by stream and time; Options.NoTimestamps
// and Options.NoStreamNames turn them off. With both off the file holds the
// child's bytes unchanged ("raw").
//
// Limits: a line longer than Options.MaxLine bytes (default 64 KiB) is split
// into records of MaxLine bytes; every part but the last is marked continued
// by a '+' right after the last prefix field ("stdout+ ", or
// "2026-...Z+ " with timestamps only). In raw mode there is no prefix to
// carry the mark, so the split is only a newline inserted after each
// MaxLine bytes (counted in Stats.Split). A last line without a newline at
// EOF is written with one added. Nothing is ever dropped for length.
//
// Records are written by one goroutine, a batch of whole records per
// write(2), so records never tear or interleave. Each Capture reads at most
// 1 MiB at a time into one of up to three buffers it owns; when the writer falls
// behind the capture stops reading and the child blocks on its full pipe
// (back-pressure), so memory stays bounded and nothing is dropped. On Linux
// the pipe buffer is enlarged to 1 MiB.
//
// # Rotation
//
// When the next batch would take the file past Options.MaxSize (default
// 10 MiB), the writer fills the file with the whole records that fit, then
// renames it to PATH.YYYYMMDDTHHMMSS.ffffffZ (the UTC rotation time; names
// are kept strictly increasing even if the clock steps back, so they sort in
// rotation order) and opens a new file at PATH. Rotation happens between
// records in the writer, so no record is lost, repeated or split across
// files. Options.MaxFiles (default 5) rotated files are kept; older ones are
// deleted. With Options.Compress, rotated files are gzipped in the
// background to NAME.gz (written to NAME.gz.tmp, synced, renamed, and only
// then is NAME removed; the .gz keeps NAME's modification time), except
// the newest rotated file, which is compressed at the next rotation
// (logrotate's delaycompress) so a follower can still recognise it. Tail
// and Follow read .gz files transparently.
//
// A process killed at any moment (kill -9, the OOM killer) leaves a log
// that works: the oldest rotated files are deleted before a rotation adds
// one, so there are never more than MaxFiles; the new file is made as
// PATH.next.tmp and renamed over PATH after the current file got its
// rotated name as a second hard link, so PATH always names a file (on a
// file system without hard links, a rename leaves a moment without it);
// and Open, before anything else, undoes a rotation killed halfway (the
// rotated name is then still the current file), removes temporary files
// and a plain file whose .gz is complete, and prunes to MaxFiles. So once
// Open returns there is a file at PATH, at most MaxFiles rotated files and
// no temporary file.
//
// Rotate rotates on request (`tend logs NAME --rotate`, SIGHUP). For an
// external logrotate, use no copytruncate and end postrotate with a request
// that calls Reopen, e.g.
//
//	postrotate
//	    tend signal NAME HUP
//	endscript
//
// Reopen closes the file and opens PATH again; records before it are in the
// renamed file, later ones in the new file. If the file is deleted, the
// writer notices before its next write and opens a new one.
//
// Files are opened O_WRONLY|O_APPEND|O_CREAT|O_NOFOLLOW|O_NOCTTY|O_CLOEXEC,
// mode 0640 by default (before umask), never truncated; a path that is a
// symlink or not a regular file is refused. The open is non-blocking
// (O_NONBLOCK, cleared once the file is known to be regular), so that a
// FIFO at the path is refused instead of blocking the open until a reader
// comes. Readers (Tail, Follow) open files the same way, for reading.
//
// # Write failures
//
// If a write fails (ENOSPC, EDQUOT, EFBIG from RLIMIT_FSIZE, EIO) or the
// file cannot be (re)opened, the log becomes degraded: Stats.Err and
// Stats.Since say so and OnEvent gets EventWriteFailed. A write that failed
// halfway is cut back (ftruncate) to the last whole record, so the file
// never keeps a torn line. Captures keep reading, so the daemon keeps
// running. Exactly this happens to records meanwhile:
//
//   - they are held in memory in arrival order, up to Options.MaxHeld bytes
//     (default 4 MiB);
//   - the first record that does not fit, and every record after it until
//     writing works again, is dropped and counted (Stats.LostLines,
//     Stats.LostBytes, in file bytes);
//   - the writer retries on a timer, after Options.Retry (default 1 s),
//     doubling up to 2 s, never in a busy loop; Rotate and Reopen retry at
//     once; on a full disk (ENOSPC, EDQUOT) the first retry rotates, so
//     that the oldest rotated file makes room, before it writes;
//   - on success it writes the held records first, then one marker record
//     (always with timestamp, stream "logcap"):
//     "... logcap lost N lines (B bytes) while writes failed from T1 to T2: ERR",
//     then new records, and sends EventRecovered.
//
// Close makes one last attempt and reports what could not be written.
// logcap does not change signal dispositions; Go programs ignore SIGXFSZ,
// so an RLIMIT_FSIZE overrun shows as EFBIG.
//
// # Reading
//
// Tail returns the last lines across rotated and current files; Follow
// prints new lines as they arrive and follows rotations. Filter selects by
// stream and time, which needs the prefixes on; loss markers always pass
// the stream filter.
//
// The rotated files read are logcap's own and an external logrotate's:
// numbered (PATH.1 the newest, PATH.2, ..., each possibly .gz) and dated
// (dateext: PATH-YYYYMMDD, or another dateformat that starts with the
// date, YYYYMMDD or YYYY-MM-DD, and goes on in digits, '-' and '_').
// Within each kind the files are in their own order (numbers count back;
// dates sort as text, as logrotate requires of a dateformat), and the
// kinds are merged by time: the rotation time in logcap's names, the
// modification time of logrotate's files (the time of their last line;
// gzip keeps it). Only regular files with those names are read: not
// symbolic links, FIFOs or other files beside the log, and not files
// compressed other than with gzip. logcap prunes and compresses only its
// own files; logrotate's are logrotate's to manage.
//
// NewEventLogger gives the supervisor an *slog.Logger writing JSON lines to
// a small rotated file (1 MiB, 3 kept) of the same kind.
package logcap
