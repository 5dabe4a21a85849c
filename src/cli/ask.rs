//! The controller's client side: one plain HTTP/1.1 request, bounded in time, for `slsctl
//! health` and `slsctl reconcile` (the image needs no curl).

use std::time::Duration;

/// What `ask_controller` sends besides the request line.
pub(super) struct Ask<'a> {
    pub(super) token: Option<&'a [u8]>,
    /// For the connection and the whole exchange.
    pub(super) timeout: Duration,
}

/// Why a request to the controller got no answer: each case says what to check.
#[derive(Debug)]
pub enum AskError {
    /// `--controller` is not an `http://` address.
    NotHttp,
    Resolve {
        address: String,
        error: std::io::Error,
    },
    /// Refused or unreachable (nothing listens there, no route).
    Unreachable {
        address: String,
        error: std::io::Error,
    },
    /// No connection within the timeout (packets dropped: a firewall, a wrong address).
    ConnectTimeout {
        address: String,
        seconds: f64,
    },
    /// Connected, but the answer did not come within the timeout.
    TooSlow {
        address: String,
        seconds: f64,
    },
    Send {
        address: String,
        error: std::io::Error,
    },
    Read(std::io::Error),
    /// The socket could not be set up (its timeouts).
    Socket(std::io::Error),
}

impl std::fmt::Display for AskError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AskError::NotHttp => f.write_str("--controller takes an http:// address (the controller serves plain HTTP inside its task network)"),
            AskError::Resolve { address, error } => {
                write!(f, "cannot resolve the controller's address {address}: {error}")
            }
            AskError::Unreachable { address, error } => {
                write!(f, "cannot reach the controller at {address}: {error}")
            }
            AskError::ConnectTimeout { address, seconds } => write!(
                f,
                "the controller at {address} did not accept a connection within {seconds} s\nhint: check the address and that the port is reachable from here; --timeout sets the limit"
            ),
            AskError::TooSlow { address, seconds } => write!(
                f,
                "the controller at {address} did not answer within {seconds} s\nhint: it may be overloaded or stuck; see its logs (--timeout sets the limit)"
            ),
            AskError::Send { address, error } => {
                write!(f, "cannot send to the controller at {address}: {error}")
            }
            AskError::Read(error) => write!(f, "cannot read the controller's answer: {error}"),
            AskError::Socket(error) => write!(f, "{error}"),
        }
    }
}

impl std::error::Error for AskError {}

/// One plain HTTP/1.1 request to the controller; returns the status code. Connecting and the
/// whole exchange are bounded by `ask.timeout`: a controller that is down, firewalled (packets
/// dropped) or stuck fails fast with a message that says which.
pub(super) fn ask_controller(
    controller: &str,
    method: &str,
    path: &str,
    ask: &Ask<'_>,
) -> Result<String, AskError> {
    use std::io::{Read, Write};
    use std::net::ToSocketAddrs;
    let address = controller
        .strip_prefix("http://")
        .ok_or(AskError::NotHttp)?
        .trim_end_matches('/');
    let deadline = std::time::Instant::now() + ask.timeout;
    let seconds = ask.timeout.as_secs_f64();
    let remaining = || deadline.saturating_duration_since(std::time::Instant::now());
    let with_port = if address
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        address.to_string()
    } else {
        format!("{address}:80")
    };
    let candidates: Vec<std::net::SocketAddr> = with_port
        .to_socket_addrs()
        .map_err(|error| AskError::Resolve {
            address: address.to_string(),
            error,
        })?
        .collect();
    let mut last_error = None;
    let mut stream = None;
    for candidate in candidates {
        if remaining().is_zero() {
            break;
        }
        match std::net::TcpStream::connect_timeout(&candidate, remaining()) {
            Ok(s) => {
                stream = Some(s);
                break;
            }
            Err(e) => last_error = Some(e),
        }
    }
    let mut stream = stream.ok_or_else(|| match last_error {
        Some(error) if error.kind() != std::io::ErrorKind::TimedOut => AskError::Unreachable {
            address: address.to_string(),
            error,
        },
        _ => AskError::ConnectTimeout {
            address: address.to_string(),
            seconds,
        },
    })?;
    let too_slow = || AskError::TooSlow {
        address: address.to_string(),
        seconds,
    };
    let authorization = match ask.token {
        Some(token) => format!(
            "Authorization: Bearer {}\r\n",
            String::from_utf8_lossy(token)
        ),
        None => String::new(),
    };
    stream
        .set_write_timeout(Some(remaining().max(Duration::from_millis(1))))
        .map_err(AskError::Socket)?;
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\n{authorization}Content-Length: 0\r\nConnection: close\r\n\r\n",
    )
    .map_err(|e| match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => too_slow(),
        _ => AskError::Send {
            address: address.to_string(),
            error: e,
        },
    })?;
    // Read until the peer closes, each read bounded by what is left of the deadline, so that a
    // server trickling bytes cannot hold us past it either.
    let mut response = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        let left = remaining();
        if left.is_zero() {
            return Err(too_slow());
        }
        stream
            .set_read_timeout(Some(left))
            .map_err(AskError::Socket)?;
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => response.extend_from_slice(&buffer[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return Err(too_slow())
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(AskError::Read(e)),
        }
    }
    let response = String::from_utf8_lossy(&response);
    Ok(response.split_whitespace().nth(1).unwrap_or("").to_string())
}
