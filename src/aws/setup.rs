//! What the environment gives the SDK before any call: the profile, the region's sources, the
//! endpoint override, proxies and the retry budget. Read once per command, so that an error
//! (`error::explain`) and `slsctl doctor` can say where a setting comes from, or that nothing
//! sets it.

use std::path::PathBuf;

/// The proxy variables the SDK's HTTP client honours.
pub const PROXY_VARIABLES: [&str; 6] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "ALL_PROXY",
    "all_proxy",
];

/// The AWS settings of the environment a command runs in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Surroundings {
    /// `AWS_PROFILE`, when set; otherwise the SDK uses `default`.
    pub profile_variable: Option<String>,
    /// `AWS_REGION` or `AWS_DEFAULT_REGION`.
    pub region_variable: Option<(&'static str, String)>,
    /// `AWS_ENDPOINT_URL`, which sends every service's calls elsewhere (the local emulator).
    pub endpoint_url: Option<String>,
    /// `AWS_ENDPOINT_URL_STS`, which wins over `AWS_ENDPOINT_URL` for STS.
    pub sts_endpoint_url: Option<String>,
    /// Proxy variables that are set, with their values' credentials removed.
    pub proxies: Vec<(&'static str, String)>,
    /// `AWS_ACCESS_KEY_ID` is set: the environment's keys come first in the chain.
    pub access_key_variable: bool,
    /// `AWS_SESSION_TOKEN` is set: those keys are temporary.
    pub session_token_variable: bool,
    /// The shared config and credentials files (`AWS_CONFIG_FILE`, `AWS_SHARED_CREDENTIALS_FILE`
    /// or their `~/.aws/` defaults).
    pub config_file: Option<PathBuf>,
    pub credentials_file: Option<PathBuf>,
    /// The stack directory of the command, for hints that name it.
    pub stack_dir: Option<String>,
    /// The attempts the SDK makes of a throttled or failing call.
    pub max_attempts: u32,
}

fn variable(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// `http://user:secret@proxy:3128` → `http://proxy:3128`: a proxy URL may carry a password.
pub fn without_userinfo(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
            format!("{scheme}://{host}")
        }
        None => url.rsplit_once('@').map_or(url, |(_, h)| h).to_string(),
    }
}

impl Surroundings {
    /// Read the process's environment.
    pub fn from_env(stack_dir: Option<&std::path::Path>) -> Self {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let file = |variable_name: &str, default: &str| {
            std::env::var_os(variable_name)
                .map(PathBuf::from)
                .or_else(|| home.as_ref().map(|h| h.join(".aws").join(default)))
        };
        Surroundings {
            profile_variable: variable("AWS_PROFILE"),
            region_variable: ["AWS_REGION", "AWS_DEFAULT_REGION"]
                .into_iter()
                .find_map(|name| variable(name).map(|value| (name, value))),
            endpoint_url: variable("AWS_ENDPOINT_URL"),
            sts_endpoint_url: variable("AWS_ENDPOINT_URL_STS"),
            proxies: PROXY_VARIABLES
                .into_iter()
                .filter_map(|name| variable(name).map(|v| (name, without_userinfo(&v))))
                .collect(),
            access_key_variable: variable("AWS_ACCESS_KEY_ID").is_some(),
            session_token_variable: variable("AWS_SESSION_TOKEN").is_some(),
            config_file: file("AWS_CONFIG_FILE", "config"),
            credentials_file: file("AWS_SHARED_CREDENTIALS_FILE", "credentials"),
            stack_dir: stack_dir.map(|d| d.display().to_string()),
            max_attempts: super::max_attempts(),
        }
    }

    /// The profile the SDK reads: `AWS_PROFILE`, or `default`.
    pub fn profile(&self) -> &str {
        self.profile_variable.as_deref().unwrap_or("default")
    }

    /// The endpoint an operation's calls go to, as the user would check it.
    pub fn endpoint_for(&self, service: &str, region: Option<&str>) -> String {
        let own = (service == "sts")
            .then_some(self.sts_endpoint_url.as_ref())
            .flatten();
        match own.or(self.endpoint_url.as_ref()) {
            Some(url) => url.clone(),
            None => format!(
                "https://{service}.{}.amazonaws.com",
                region.unwrap_or("<region>")
            ),
        }
    }

    /// The settings of the selected profile in the shared files, `None` when neither file
    /// defines it. Only `[name]` / `[profile name]` headers and `key = value` lines are read:
    /// enough to tell a missing profile or a missing `region` apart.
    pub fn profile_settings(&self) -> Option<Vec<(String, String)>> {
        let name = self.profile();
        let mut found = None;
        for (path, is_config) in [(&self.config_file, true), (&self.credentials_file, false)] {
            let Some(text) = path.as_ref().and_then(|p| std::fs::read_to_string(p).ok()) else {
                continue;
            };
            let mut inside = false;
            for line in text.lines() {
                let line = line.trim();
                if let Some(header) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                    let header = header.trim();
                    let section = if is_config && header != "default" {
                        header.strip_prefix("profile ").map(str::trim)
                    } else {
                        Some(header)
                    };
                    inside = section == Some(name);
                    if inside && found.is_none() {
                        found = Some(Vec::new());
                    }
                } else if inside {
                    if let Some((key, value)) = line.split_once('=') {
                        if let Some(settings) = found.as_mut() {
                            settings.push((key.trim().to_string(), value.trim().to_string()));
                        }
                    }
                }
            }
        }
        found
    }

    /// The selected profile's setting `key`, when its files set it.
    pub fn profile_setting(&self, key: &str) -> Option<String> {
        self.profile_settings()?
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// The endpoint override points at this machine: the local emulator.
    pub fn endpoint_is_local(&self) -> bool {
        self.endpoint_url.as_deref().is_some_and(|url| {
            let host = without_userinfo(url);
            ["://127.", "://localhost", "://[::1]", "://0.0.0.0"]
                .iter()
                .any(|local| host.contains(local))
        })
    }

    /// `AWS_PROFILE=x` or `the default profile`, for messages.
    pub fn profile_phrase(&self) -> String {
        match &self.profile_variable {
            Some(name) => format!("profile `{name}` (AWS_PROFILE)"),
            None => "profile `default`".to_string(),
        }
    }

    /// No source gave a region: say which were asked and where to set one.
    pub fn no_region(&self) -> super::error::Explanation {
        let profile = self.profile();
        let in_profile = match self.profile_settings() {
            Some(_) => format!("{} sets none", self.profile_phrase()),
            None => format!(
                "{} is not defined in {}",
                self.profile_phrase(),
                self.config_file_phrase()
            ),
        };
        let dir = self.stack_dir.as_deref().unwrap_or("the stack directory");
        super::error::Explanation {
            what: format!(
                "no AWS region: the Stack sets no `region`, AWS_REGION and AWS_DEFAULT_REGION are unset, and {in_profile}"
            ),
            hints: vec![
                format!("set it in the Stack document in {dir}: `spec: {{region: us-east-1}}` (the stack then always goes there)"),
                "or for this shell: export AWS_REGION=us-east-1".to_string(),
                format!("or in the profile: aws configure set region us-east-1 --profile {profile}"),
            ],
            notes: Vec::new(),
        }
    }

    /// Where the shared config file is, for messages.
    pub fn config_file_phrase(&self) -> String {
        self.config_file
            .as_ref()
            .map_or("~/.aws/config".to_string(), |p| p.display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_passwords_are_dropped() {
        assert_eq!(
            without_userinfo("http://me:hunter2@proxy.corp:3128"),
            "http://proxy.corp:3128"
        );
        assert_eq!(without_userinfo("proxy.corp:3128"), "proxy.corp:3128");
    }

    #[test]
    fn reads_the_selected_profile_from_either_file() {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("config");
        let credentials = dir.path().join("credentials");
        std::fs::write(
            &config,
            "[default]\nregion = eu-west-1\n[profile dev]\nsso_session = corp\n",
        )
        .unwrap();
        std::fs::write(&credentials, "[ci]\naws_access_key_id = AKIA\n").unwrap();
        let around = |profile: Option<&str>| Surroundings {
            profile_variable: profile.map(str::to_string),
            config_file: Some(config.clone()),
            credentials_file: Some(credentials.clone()),
            ..Surroundings::default()
        };
        assert_eq!(
            around(None).profile_setting("region").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(around(Some("dev")).profile_setting("region"), None);
        assert!(around(Some("dev")).profile_settings().is_some());
        assert!(around(Some("ci")).profile_settings().is_some());
        assert!(around(Some("nope")).profile_settings().is_none());
    }
}
