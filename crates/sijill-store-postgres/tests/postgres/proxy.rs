//! A TCP proxy in front of PostgreSQL that understands just enough of the wire protocol to
//! break a connection at the worst moments: right after a COMMIT reached the server (the
//! client cannot know it committed), or instead of forwarding a COMMIT (it never commits).
//! It can also swallow notifications, to show that polling catches what LISTEN missed.

use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does with the next COMMIT it sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Forward it, let the server commit, then close the connection before the client hears.
    AfterCommit,
    /// Close the connection instead of forwarding it.
    BeforeCommit,
}

#[derive(Default)]
struct Control {
    armed: Mutex<Option<Cut>>,
    cuts: AtomicU32,
    drop_notifications: AtomicBool,
}

pub struct Proxy {
    pub port: u16,
    control: Arc<Control>,
}

impl Proxy {
    pub async fn start(upstream_host: &str, upstream_port: u16) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let control = Arc::new(Control::default());
        let upstream = format!("{upstream_host}:{upstream_port}");
        let accepting = Arc::clone(&control);
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let server = TcpStream::connect(&upstream).await.unwrap();
                tokio::spawn(relay(client, server, Arc::clone(&accepting)));
            }
        });
        Proxy { port, control }
    }

    /// Breaks the connection that carries the next COMMIT, as `cut` says.
    pub fn arm(&self, cut: Cut) {
        *self.control.armed.lock().unwrap() = Some(cut);
    }

    /// Connections broken so far.
    pub fn cuts(&self) -> u32 {
        self.control.cuts.load(Ordering::SeqCst)
    }

    pub fn drop_notifications(&self, drop: bool) {
        self.control
            .drop_notifications
            .store(drop, Ordering::SeqCst);
    }
}

/// Relays one connection until either side closes or a cut ends it; dropping the halves
/// closes both sockets.
async fn relay(client: TcpStream, server: TcpStream, control: Arc<Control>) {
    let (client_read, client_write) = client.into_split();
    let (server_read, server_write) = server.into_split();
    let swallow = Arc::new(AtomicBool::new(false));
    tokio::select! {
        _ = to_server(client_read, server_write, &control, &swallow) => {}
        _ = to_client(server_read, client_write, &control, &swallow) => {}
    }
}

/// Client to server: the untyped startup message, then typed messages.
async fn to_server(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    control: &Control,
    swallow: &AtomicBool,
) -> std::io::Result<()> {
    let length = from.read_i32().await?;
    let mut startup = vec![0; usize::try_from(length).unwrap() - 4];
    from.read_exact(&mut startup).await?;
    to.write_all(&length.to_be_bytes()).await?;
    to.write_all(&startup).await?;
    loop {
        let (tag, body) = read_message(&mut from).await?;
        if tag == b'Q' && body == b"COMMIT\0" {
            let cut = control.armed.lock().unwrap().take();
            match cut {
                Some(Cut::BeforeCommit) => {
                    control.cuts.fetch_add(1, Ordering::SeqCst);
                    return Ok(());
                }
                Some(Cut::AfterCommit) => swallow.store(true, Ordering::SeqCst),
                None => {}
            }
        }
        write_message(&mut to, tag, &body).await?;
    }
}

/// Server to client. While swallowing (a COMMIT was forwarded to be cut after), nothing is
/// relayed, and the connection ends once the server has reported the COMMIT complete (a
/// pipelined statement before it may answer first) and is ready for the next query.
async fn to_client(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    control: &Control,
    swallow: &AtomicBool,
) -> std::io::Result<()> {
    let mut committed = false;
    loop {
        let (tag, body) = read_message(&mut from).await?;
        if swallow.load(Ordering::SeqCst) {
            committed |= tag == b'C' && body == b"COMMIT\0";
            if tag == b'Z' && committed {
                control.cuts.fetch_add(1, Ordering::SeqCst);
                return Ok(());
            }
            continue;
        }
        if tag == b'A' && control.drop_notifications.load(Ordering::SeqCst) {
            continue;
        }
        write_message(&mut to, tag, &body).await?;
    }
}

async fn read_message(from: &mut OwnedReadHalf) -> std::io::Result<(u8, Vec<u8>)> {
    let tag = from.read_u8().await?;
    let length = from.read_i32().await?;
    let mut body = vec![0; usize::try_from(length).unwrap() - 4];
    from.read_exact(&mut body).await?;
    Ok((tag, body))
}

async fn write_message(to: &mut OwnedWriteHalf, tag: u8, body: &[u8]) -> std::io::Result<()> {
    let mut message = Vec::with_capacity(body.len() + 5);
    message.push(tag);
    message.extend_from_slice(&(i32::try_from(body.len()).unwrap() + 4).to_be_bytes());
    message.extend_from_slice(body);
    to.write_all(&message).await
}
