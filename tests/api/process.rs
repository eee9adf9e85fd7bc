//! The `customerd` binary as a child process: started on free ports, which it
//! reports on stdout, and killed when the test lets go of it.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

/// The binary with none of its settings taken from the test's environment.
pub fn customerd() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_customerd"));
    cmd.env_remove("DATABASE_URL")
        .env_remove("GRPC_ADDR")
        .env_remove("HTTP_ADDR")
        .env_remove("KEY_CACHE_TTL")
        .env_remove("DB_MAX_CONNECTIONS")
        .env("RUST_LOG", "warn");
    cmd
}

/// Runs a command of the binary to its end; its stdout if it succeeded.
pub fn run(database_url: &str, args: &[&str]) -> Output {
    customerd()
        .args(args)
        .args(["--database-url", database_url])
        .output()
        .expect("run customerd")
}

/// Runs a command that must succeed and returns what it printed on stdout.
pub fn run_ok(database_url: &str, args: &[&str]) -> String {
    let output = run(database_url, args);
    assert!(output.status.success(), "customerd {args:?}: {output:?}");
    String::from_utf8(output.stdout).expect("UTF-8 on stdout")
}

/// A running `customerd serve`.
pub struct ServerProcess {
    pub child: Child,
    pub grpc: SocketAddr,
    pub http: SocketAddr,
    /// The key printed on first start, if the database had none.
    pub first_key: Option<String>,
}

impl ServerProcess {
    /// Starts `customerd serve` on `database_url` with `extra` arguments and
    /// waits for the line that says where it listens.
    pub async fn start(database_url: &str, extra: &[&str]) -> Self {
        let mut cmd = customerd();
        cmd.args(["serve", "--database-url", database_url])
            .args(["--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"])
            .args(extra);
        let (child, listening) = spawn_listening(cmd).await;
        Self {
            child,
            grpc: listening.grpc.expect("serve reports its gRPC address"),
            http: listening.http.expect("serve reports its HTTP address"),
            first_key: listening.first_key,
        }
    }

    pub fn grpc_url(&self) -> String {
        format!("http://{}", self.grpc)
    }

    /// A connected channel to the server's gRPC port.
    pub async fn channel(&self) -> tonic::transport::Channel {
        tonic::transport::Channel::from_shared(self.grpc_url())
            .unwrap()
            .connect()
            .await
            .unwrap()
    }

    /// Kills the process at once (SIGKILL): no flush, no checkpoint.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a starting process printed before it began to serve.
pub struct Listening {
    pub grpc: Option<SocketAddr>,
    pub http: Option<SocketAddr>,
    pub first_key: Option<String>,
}

/// Spawns `cmd` with a piped stdout and waits for its `Listening:` line (the
/// real ports, as port 0 binds free ones). Panics if the process exits first.
pub async fn spawn_listening(mut cmd: Command) -> (Child, Listening) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start customerd");
    let listening = wait_listening(&mut child).await;
    (child, listening)
}

/// Reads a started child's stdout up to its `Listening:` line.
async fn wait_listening(child: &mut Child) -> Listening {
    let stdout = child.stdout.take().expect("piped stdout");
    let reading = tokio::task::spawn_blocking(move || {
        let mut lines = BufReader::new(stdout).lines();
        let mut first_key = None;
        for line in lines.by_ref() {
            let line = line.ok()?;
            if line.starts_with("sk_") {
                first_key = Some(line);
            } else if let Some(rest) = line.strip_prefix("Listening:") {
                let mut listening = Listening {
                    grpc: None,
                    http: None,
                    first_key,
                };
                for part in rest.split_whitespace() {
                    match part.split_once('=') {
                        Some(("grpc", addr)) => listening.grpc = addr.parse().ok(),
                        Some(("http", addr)) => listening.http = addr.parse().ok(),
                        _ => {}
                    }
                }
                // Keep the pipe drained so the process never blocks on it.
                std::thread::spawn(move || lines.for_each(drop));
                return Some(listening);
            }
        }
        None
    });
    let started = tokio::time::timeout(Duration::from_secs(90), reading)
        .await
        .expect("customerd starts within 90 s")
        .expect("the reader finishes");
    let Some(listening) = started else {
        let status = child.wait().expect("wait for customerd");
        panic!("customerd exited before listening: {status}");
    };
    listening
}

/// Starts `count` replicas of `customerd serve` on `database_url`, held at a
/// barrier (each waits for a line on its stdin before it runs) and released
/// together, and waits for each to listen.
pub async fn start_together(database_url: &str, count: usize) -> Vec<ServerProcess> {
    let held: Vec<Child> = (0..count)
        .map(|_| {
            let server = customerd();
            let mut barrier = Command::new("sh");
            barrier
                .arg("-c")
                .arg(r#"read _ && exec "$0" "$@""#)
                .arg(server.get_program())
                .args(["serve", "--database-url", database_url])
                .args(["--grpc-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0"])
                .envs(server.get_envs().filter_map(|(k, v)| Some((k, v?))))
                .env_remove("DATABASE_URL")
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("start a replica")
        })
        .collect();
    // Owned from here on, so a replica that fails to start takes the others down.
    let mut replicas: Vec<ServerProcess> = held
        .into_iter()
        .map(|child| ServerProcess {
            child,
            grpc: SocketAddr::from(([0, 0, 0, 0], 0)),
            http: SocketAddr::from(([0, 0, 0, 0], 0)),
            first_key: None,
        })
        .collect();
    for replica in &mut replicas {
        let stdin = replica.child.stdin.as_mut().expect("piped stdin");
        stdin.write_all(b"go\n").expect("release the replica");
    }
    for replica in &mut replicas {
        let listening = wait_listening(&mut replica.child).await;
        replica.grpc = listening.grpc.expect("serve reports its gRPC address");
        replica.http = listening.http.expect("serve reports its HTTP address");
        replica.first_key = listening.first_key;
    }
    replicas
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}
