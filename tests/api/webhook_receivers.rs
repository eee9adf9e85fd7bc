//! The README's signature checks, in Python and Node, run against real
//! deliveries: `examples/webhooks/receiver.{py,js}` verify each request with
//! exactly the code the README shows (`verify.py`, `verify.js`). Needs
//! `python3` and `node`; run by `.ci/run`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::helpers::{Backend, http_client};
use crate::webhooks::{create_customer, create_endpoint, spawn};

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/webhooks");

struct Script {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Drop for Script {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Script {
    fn start(program: &str, script: &str, secret_file: &std::path::Path) -> Self {
        let mut child = Command::new(program)
            .arg(script)
            .arg(secret_file)
            .current_dir(EXAMPLES)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        let stdout = child.stdout.take().unwrap();
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if send.send(line).is_err() {
                    return;
                }
            }
        });
        Self { child, lines }
    }

    fn line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(15))
            .expect("the receiver prints a line")
    }
}

#[test]
fn the_readme_shows_the_verification_code_as_it_is_run() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    for file in ["verify.py", "verify.js"] {
        let code = std::fs::read_to_string(format!("{EXAMPLES}/{file}")).unwrap();
        assert!(
            readme.contains(&code),
            "README.md does not show {file} as it is"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs python3 and node"]
async fn python_and_node_receivers_verify_real_deliveries() {
    let app = spawn(Backend::Sqlite, Duration::from_secs(30)).await;
    for (program, script) in [("python3", "receiver.py"), ("node", "receiver.js")] {
        let secret_file = std::env::temp_dir().join(customerd::ids::random_token("whsec_", 8));
        std::fs::write(&secret_file, "not yet").unwrap();
        let receiver = Script::start(program, script, &secret_file);
        let port = receiver.line();
        let port = port.strip_prefix("listening ").expect("`listening PORT`");
        let url = format!("http://127.0.0.1:{port}/hooks");
        let endpoint = create_endpoint(&app, &url, &["customer.created"]).await;
        std::fs::write(&secret_file, &endpoint.secret).unwrap();
        let customer = create_customer(&app, script).await;
        let verified = receiver.line();
        let event = verified
            .strip_prefix("verified ")
            .unwrap_or_else(|| panic!("{script}: {verified}"));
        let shown = app.rest().ok(&format!("/v1/events/{event}")).await;
        assert_eq!(shown["data"]["object"]["id"], customer.id.as_str());
        // A request signed with another secret is refused.
        let forged = http_client()
            .post(&url)
            .header(
                "customerd-signature",
                format!(
                    "t={},v1={}",
                    customerd::ids::now_micros() / 1_000_000,
                    "0".repeat(64)
                ),
            )
            .body(r#"{"id":"evt_forged"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(forged.status(), 400, "{script}");
        assert_eq!(receiver.line(), "rejected");
        // No longer needed: the next receiver gets its own endpoint.
        crate::webhooks::client(&app)
            .await
            .delete_webhook_endpoint(crate::helpers::authed(
                &app.key,
                customerd::proto::customers::v1::DeleteWebhookEndpointRequest { id: endpoint.id },
            ))
            .await
            .unwrap();
        let _ = std::fs::remove_file(&secret_file);
    }
}
