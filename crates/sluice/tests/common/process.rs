//! Running the real `sluice` binary as a child process.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Root credentials for a spawned `sluice serve`, as environment variables.
pub const ROOT_ENV: [(&str, &str); 2] = [
    ("SLUICE_ROOT_ACCESS_KEY", super::ACCESS_KEY),
    ("SLUICE_ROOT_SECRET_KEY", super::SECRET_KEY),
];

/// A `sluice serve` child process.
pub struct ServerProcess {
    pub child: Child,
    pub addr: std::net::SocketAddr,
    pub stderr_lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    pub stdout_lines: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

/// What a `sluice serve` that was expected to exit did.
pub struct Exited {
    /// Exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// From spawn to exit.
    pub took: Duration,
}

/// Runs `sluice serve` with `args`/`env` expecting it to exit by itself; kills it and panics
/// if it is still running after `within`.
pub fn serve_expecting_exit(args: &[&str], env: &[(&str, &str)], within: Duration) -> Exited {
    let mut cmd = serve_command(args, env);
    let started = Instant::now();
    let mut child = cmd.spawn().expect("spawn sluice");
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if started.elapsed() > within {
            let _ = child.kill();
            let out = child.wait_with_output().expect("collect output");
            panic!(
                "sluice serve still running after {within:?}; stdout: {} stderr: {}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let took = started.elapsed();
    let out = child.wait_with_output().expect("collect output");
    Exited {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took,
    }
}

/// `sluice serve ARGS` with piped output and the `SLUICE_*` variables that would leak in from
/// the environment removed.
fn serve_command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
    cmd.arg("serve")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for k in [
        "SLUICE_ROOT_ACCESS_KEY",
        "SLUICE_ROOT_SECRET_KEY",
        "SLUICE_CONFIG",
        "SLUICE_REGION",
        "SLUICE_LISTEN",
        "SLUICE_DATA_DIR",
    ] {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

impl ServerProcess {
    /// Starts `sluice serve` with extra args/env and waits for the "listening" line.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> ServerProcess {
        let mut cmd = serve_command(args, env);
        let mut child = cmd.spawn().expect("spawn sluice");
        let stderr = child.stderr.take().unwrap();
        let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line);
            }
        });
        let stdout = child.stdout.take().unwrap();
        let mut reader = BufReader::new(stdout);
        let mut line = String::new();
        let out_lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let deadline = Instant::now() + Duration::from_secs(30);
        let addr = loop {
            line.clear();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                panic!("sluice exited early: {:?}", lines.lock().unwrap());
            }
            out_lines
                .lock()
                .unwrap()
                .push(line.trim_end_matches('\n').to_string());
            if let Some(a) = line.trim().strip_prefix("sluice listening on http://") {
                break a.parse().unwrap();
            }
            assert!(Instant::now() < deadline, "server did not start");
        };
        let out_sink = out_lines.clone();
        std::thread::spawn(move || {
            for line in reader.lines().map_while(Result::ok) {
                out_sink.lock().unwrap().push(line);
            }
        });
        ServerProcess {
            child,
            addr,
            stderr_lines: lines,
            stdout_lines: out_lines,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Peak resident set size (VmHWM) in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        status_field(self.pid(), "VmHWM:")
    }

    /// Current resident set size (VmRSS) in KiB.
    pub fn rss_kib(&self) -> u64 {
        status_field(self.pid(), "VmRSS:")
    }

    /// Sends SIGTERM and waits for exit; returns the exit status code.
    pub fn terminate(mut self) -> Option<i32> {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.pid().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stderr_text(&self) -> String {
        self.stderr_lines.lock().unwrap().join("\n")
    }

    pub fn stdout_text(&self) -> String {
        self.stdout_lines.lock().unwrap().join("\n")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn status_field(pid: u32, field: &str) -> u64 {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    text.lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}
