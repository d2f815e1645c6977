//! `pushbot healthcheck`: asks the running bot's `/healthz` and exits 0
//! when it answers 200, 1 otherwise. The container's `HEALTHCHECK` runs it
//! (the runtime image has no curl): it reads only `web.listen` from the
//! settings (or takes `--url`), so it works with the same mounts and
//! environment as `pushbot run`.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use pushbot::config::Settings;

/// Arguments of `pushbot healthcheck`.
#[derive(Debug, clap::Args)]
pub struct HealthcheckArgs {
    /// Ask this URL instead of `http://<web.listen>/healthz` (a listen
    /// address of 0.0.0.0 or [::] is asked on loopback).
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 5)]
    pub timeout_secs: u64,
}

pub fn run(config: &Path, args: HealthcheckArgs) -> anyhow::Result<ExitCode> {
    let url = match args.url {
        Some(url) => url,
        None => {
            let settings = Settings::load(config)
                .with_context(|| format!("settings in {} are not usable", config.display()))?;
            if !settings.web.enabled {
                anyhow::bail!(
                    "web.enabled = false in {}: there is no /healthz to ask; enable the web server or pass --url",
                    config.display()
                );
            }
            healthz_url(&settings.web.listen)
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let answer = runtime.block_on(async {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(args.timeout_secs))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        let response = client.get(&url).send().await?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        Ok::<_, reqwest::Error>((status, body))
    });
    match answer {
        Ok((status, _)) if status.is_success() => {
            println!("healthy: {url} answered {status}");
            Ok(ExitCode::SUCCESS)
        }
        Ok((status, body)) => {
            println!("unhealthy: {url} answered {status}: {}", body.trim());
            Ok(ExitCode::FAILURE)
        }
        Err(e) => {
            println!(
                "unhealthy: cannot ask {url} ({e}); is pushbot running with its web server on web.listen?"
            );
            Ok(ExitCode::FAILURE)
        }
    }
}

/// `/healthz` on `listen`, asked on loopback when it listens on every
/// address.
pub fn healthz_url(listen: &str) -> String {
    let local = if let Some(port) = listen.strip_prefix("0.0.0.0:") {
        format!("127.0.0.1:{port}")
    } else if let Some(port) = listen.strip_prefix("[::]:") {
        format!("[::1]:{port}")
    } else {
        listen.to_string()
    };
    format!("http://{local}/healthz")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wildcard_listen_address_is_asked_on_loopback() {
        assert_eq!(healthz_url("0.0.0.0:8080"), "http://127.0.0.1:8080/healthz");
        assert_eq!(healthz_url("[::]:8080"), "http://[::1]:8080/healthz");
        assert_eq!(
            healthz_url("127.0.0.1:9000"),
            "http://127.0.0.1:9000/healthz"
        );
    }
}
