//! A guard in front of the transport: a message whose body is not JSON would end
//! tower-lsp-server's reading loop (its framed reader stops at the first decode error), so such
//! a body is replaced by a request with a `null` id for an unknown method, which the server
//! answers with an error and then goes on.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};

/// What stands in for a body that is not JSON.
pub const INVALID_MESSAGE: &str =
    r#"{"jsonrpc":"2.0","id":null,"method":"agentblocks/invalidMessage"}"#;

/// Largest message accepted (larger ones are dropped with their body).
const MAX_MESSAGE: usize = 64 << 20;

/// Copies LSP frames from `input` to `output`, replacing bodies that are not JSON.
pub async fn filter<R, W>(input: R, mut output: W)
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut reader = BufReader::new(input);
    loop {
        let mut length: Option<usize> = None;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = line.trim();
            if line.is_empty() {
                if length.is_some() {
                    break;
                }
                continue;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.trim().eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().ok();
                }
            }
        }
        let length = length.unwrap_or(0);
        let mut body = vec![0u8; length.min(MAX_MESSAGE)];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        if length > MAX_MESSAGE {
            let mut rest = (&mut reader).take((length - MAX_MESSAGE) as u64);
            if tokio::io::copy(&mut rest, &mut tokio::io::sink())
                .await
                .is_err()
            {
                return;
            }
            body = INVALID_MESSAGE.as_bytes().to_vec();
        } else if serde_json::from_slice::<serde::de::IgnoredAny>(&body).is_err() {
            body = INVALID_MESSAGE.as_bytes().to_vec();
        }
        let header = format!("Content-Length: {}\r\n\r\n", body.len());
        if output.write_all(header.as_bytes()).await.is_err()
            || output.write_all(&body).await.is_err()
            || output.flush().await.is_err()
        {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn replaces_bodies_that_are_not_json() {
        let input = b"Content-Length: 4\r\n\r\n{ no\r\nContent-Length: 2\r\n\r\n{}".to_vec();
        let mut output = Vec::new();
        filter(&input[..], &mut output).await;
        let expected = format!(
            "Content-Length: {}\r\n\r\n{INVALID_MESSAGE}Content-Length: 2\r\n\r\n{{}}",
            INVALID_MESSAGE.len()
        );
        assert_eq!(String::from_utf8_lossy(&output), expected);
    }
}
