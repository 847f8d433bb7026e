//! Sending e-mail reminders by SMTP, only when a mail server is configured. A small client for a
//! relay the operator runs or trusts (a local Postfix, a relay on the private network): plain
//! SMTP, no authentication — encryption to the outside world is the relay's job. Terrain sends
//! nothing by itself otherwise: coordinators export the reminder list instead.

use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// Where to send mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpConfig {
    /// The relay's host name or address.
    pub host: String,
    pub port: u16,
    /// The sender, `Campagne <terrain@example.org>` or `terrain@example.org`.
    pub from: String,
}

/// A message to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("cannot reach the mail server {0}: {1}")]
    Connect(String, String),
    #[error("the mail server refused {step}: {reply}")]
    Refused { step: &'static str, reply: String },
    #[error("mail server connection failed: {0}")]
    Io(#[from] std::io::Error),
    #[error("the mail server did not answer in time")]
    Timeout,
    #[error("invalid address {0:?}")]
    Address(String),
}

/// The bare address of `Name <addr>` or `addr`.
fn bare(addr: &str) -> Result<String, MailError> {
    let a = match (addr.find('<'), addr.rfind('>')) {
        (Some(i), Some(j)) if i < j => &addr[i + 1..j],
        _ => addr,
    }
    .trim();
    if a.contains('@')
        && !a
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || c == '<' || c == '>')
    {
        Ok(a.to_string())
    } else {
        Err(MailError::Address(addr.to_string()))
    }
}

/// A header value in RFC 2047 encoded words when it is not plain ASCII.
fn header_text(s: &str) -> String {
    use base64::Engine;
    let s: String = s.chars().filter(|c| !c.is_control()).collect();
    if s.is_ascii() {
        s
    } else {
        format!(
            "=?UTF-8?B?{}?=",
            base64::engine::general_purpose::STANDARD.encode(s)
        )
    }
}

struct Conn {
    reader: BufReader<tokio::net::tcp::OwnedReadHalf>,
    writer: tokio::net::tcp::OwnedWriteHalf,
}

impl Conn {
    async fn reply(&mut self, step: &'static str, expect: u16) -> Result<(), MailError> {
        // Multi-line replies repeat the code with a dash (`250-…`) until the last line.
        let last = loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).await? == 0 {
                return Err(MailError::Refused {
                    step,
                    reply: "connection closed".into(),
                });
            }
            if line.as_bytes().get(3) != Some(&b'-') {
                break line.trim_end().to_string();
            }
        };
        let code: u16 = last.get(..3).and_then(|c| c.parse().ok()).unwrap_or(0);
        if code / 100 == expect / 100 {
            Ok(())
        } else {
            Err(MailError::Refused { step, reply: last })
        }
    }

    async fn command(
        &mut self,
        line: &str,
        step: &'static str,
        expect: u16,
    ) -> Result<(), MailError> {
        self.writer.write_all(line.as_bytes()).await?;
        self.writer.write_all(b"\r\n").await?;
        self.reply(step, expect).await
    }
}

/// Sends the messages over one connection; returns, per message, whether it was accepted.
/// A refused recipient does not stop the others.
pub async fn send_all(
    config: &SmtpConfig,
    mails: &[Mail],
) -> Result<Vec<Result<(), MailError>>, MailError> {
    tokio::time::timeout(Duration::from_secs(60), send_inner(config, mails))
        .await
        .map_err(|_| MailError::Timeout)?
}

async fn send_inner(
    config: &SmtpConfig,
    mails: &[Mail],
) -> Result<Vec<Result<(), MailError>>, MailError> {
    let from = bare(&config.from)?;
    let addr = format!("{}:{}", config.host, config.port);
    let stream = TcpStream::connect(&addr)
        .await
        .map_err(|e| MailError::Connect(addr.clone(), e.to_string()))?;
    let (r, w) = stream.into_split();
    let mut c = Conn {
        reader: BufReader::new(r),
        writer: w,
    };
    c.reply("the greeting", 220).await?;
    c.command("EHLO terrain.localdomain", "EHLO", 250).await?;
    let mut results = Vec::with_capacity(mails.len());
    for m in mails {
        let one = async {
            let to = bare(&m.to)?;
            c.command(&format!("MAIL FROM:<{from}>"), "MAIL FROM", 250).await?;
            c.command(&format!("RCPT TO:<{to}>"), "RCPT TO", 250).await?;
            c.command("DATA", "DATA", 354).await?;
            let date = time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc2822)
                .unwrap_or_default();
            let mut msg = format!(
                "From: {}\r\nTo: {to}\r\nSubject: {}\r\nDate: {date}\r\nMessage-ID: <{}@terrain>\r\nMIME-Version: 1.0\r\n\
                 Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
                header_text(&config.from),
                header_text(&m.subject),
                uuid::Uuid::now_v7().simple()
            );
            for line in m.body.replace("\r\n", "\n").split('\n') {
                // Dot-stuffing: a line starting with a dot gets another.
                if line.starts_with('.') {
                    msg.push('.');
                }
                msg.push_str(line);
                msg.push_str("\r\n");
            }
            msg.push_str(".\r\n");
            c.writer.write_all(msg.as_bytes()).await?;
            c.reply("the message", 250).await
        }
        .await;
        if one.is_err() {
            // Back to a clean state for the next message.
            c.command("RSET", "RSET", 250).await?;
        }
        results.push(one);
    }
    let _ = c.command("QUIT", "QUIT", 221).await;
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_headers() {
        assert_eq!(
            bare("Campagne <terrain@exemple.fr>").unwrap(),
            "terrain@exemple.fr"
        );
        assert_eq!(bare(" lea@exemple.fr ").unwrap(), "lea@exemple.fr");
        assert!(bare("pas une adresse").is_err());
        assert!(bare("a@b.fr>\r\nRCPT TO:<x@y.fr").is_err());
        assert_eq!(header_text("Rappel"), "Rappel");
        assert!(header_text("Rappel : sortie à Marcadet").starts_with("=?UTF-8?B?"));
        assert!(!header_text("a\r\nBcc: x@y.fr").contains('\n'));
    }
}
