//! A DNS server on loopback for the daemon's sender-authentication lookups: it answers TXT
//! queries from a table the test fills (and changes), NXDOMAIN for everything else. Real UDP,
//! real DNS messages (hickory-proto), so the daemon's resolver does what it does in production.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::rdata::TXT;
use hickory_proto::rr::{RData, Record, RecordType};
use tokio::net::UdpSocket;

/// A running server; dropping it stops it.
#[derive(Debug)]
pub struct DnsServer {
    pub addr: SocketAddr,
    records: Arc<Mutex<HashMap<String, Vec<String>>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl DnsServer {
    pub async fn start() -> DnsServer {
        let socket = UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("bind a UDP port");
        let addr = socket.local_addr().expect("local address");
        let records: Arc<Mutex<HashMap<String, Vec<String>>>> = Arc::default();
        let table = records.clone();
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                    return;
                };
                let Some(query) = buf.get(..n).and_then(|b| Message::from_vec(b).ok()) else {
                    continue;
                };
                let answer = answer(&query, &table);
                if let Ok(bytes) = answer.to_vec() {
                    let _ = socket.send_to(&bytes, from).await;
                }
            }
        });
        DnsServer {
            addr,
            records,
            task,
        }
    }

    /// Publishes TXT `value` at `name` (in addition to what is there).
    pub fn txt(&self, name: &str, value: &str) {
        self.records
            .lock()
            .expect("records")
            .entry(key(name))
            .or_default()
            .push(value.to_owned());
    }

    /// Removes every record at `name`.
    pub fn remove(&self, name: &str) {
        self.records.lock().expect("records").remove(&key(name));
    }
}

fn key(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

fn answer(query: &Message, table: &Mutex<HashMap<String, Vec<String>>>) -> Message {
    let mut m = Message::response(query.metadata.id, query.metadata.op_code);
    m.add_queries(query.queries.clone());
    let table = table.lock().expect("records");
    let mut found = false;
    for q in &query.queries {
        let name = key(&q.name().to_string());
        if let Some(values) = table.get(&name) {
            found = true;
            if q.query_type() == RecordType::TXT {
                for v in values {
                    // A long value goes as several strings, as DNS publishes DKIM keys.
                    let parts: Vec<String> = v
                        .as_bytes()
                        .chunks(255)
                        .map(|c| String::from_utf8_lossy(c).into_owned())
                        .collect();
                    m.add_answer(Record::from_rdata(
                        q.name().clone(),
                        60,
                        RData::TXT(TXT::new(parts)),
                    ));
                }
            }
        }
    }
    if !found {
        m.metadata.response_code = ResponseCode::NXDomain;
    }
    m
}
