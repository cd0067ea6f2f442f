//! The cap locks of a dispatch transaction (PostgreSQL): one row of `cap_locks` per sender,
//! lead and number a batch's touches need, taken in one global order.

use sqlx::Row;

use super::dispatch::ROWS_PER_STATEMENT;
use super::*;

/// Takes the cap lock rows of `touches` (PostgreSQL; on SQLite, `BEGIN IMMEDIATE` already
/// serialises every writer): each one's sender (account and channel), and — since per-recipient
/// caps span accounts and channels — its lead (the cross-campaign cap) and the number it rings
/// (the legal per-number caps), whichever lead that number belongs to. Taken in one global
/// order (sorted keys), whatever the batch, so two dispatch transactions never wait on each
/// other in a cycle. A number's lock is keyed by its keyed commitment
/// ([`crate::privacy::PrivacyKey::commit`]), never by the number itself: the row outlives any
/// erasure of the lead, and an erased number must not be left behind in it.
pub(super) async fn take_cap_locks(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    key: &crate::privacy::PrivacyKey,
    touches: &[TouchRow],
) -> Result<()> {
    let mut keys = std::collections::BTreeSet::new();
    let mut leads: std::collections::BTreeMap<&str, Vec<&str>> = std::collections::BTreeMap::new();
    for t in touches {
        keys.insert((
            t.workspace.clone(),
            t.account_id.clone(),
            t.channel.as_str().to_owned(),
        ));
        keys.insert((
            t.workspace.clone(),
            String::new(),
            format!("lead:{}", t.lead_id),
        ));
        leads
            .entry(t.workspace.as_str())
            .or_default()
            .push(t.lead_id.as_str());
    }
    for (ws, ids) in leads {
        let list = super::bind_order::placeholders(2, ids.len());
        let mut q = sqlx::query(safe_for!(
            DbKind::of(tx),
            "SELECT id, phone, whatsapp FROM leads WHERE workspace = $1 AND id IN ({list})"
        ))
        .bind(ws);
        for id in &ids {
            q = q.bind(*id);
        }
        let mut numbers = std::collections::HashMap::new();
        for r in q.fetch_all(&mut **tx).await? {
            let id: String = r.try_get("id")?;
            let phone: Option<String> = r.try_get("phone")?;
            let whatsapp: Option<String> = r.try_get("whatsapp")?;
            numbers.insert(id, (phone, whatsapp));
        }
        for t in touches.iter().filter(|t| t.workspace == ws) {
            let Some((phone, whatsapp)) = numbers.get(&t.lead_id) else {
                continue;
            };
            let number = match t.channel {
                gate::Channel::Sms | gate::Channel::Call => phone.clone(),
                gate::Channel::Whatsapp => whatsapp.clone().or_else(|| phone.clone()),
                gate::Channel::Email | gate::Channel::Linkedin => None,
            };
            if let Some(n) = number {
                keys.insert((
                    t.workspace.clone(),
                    String::new(),
                    format!("number:{}", key.commit(&n)),
                ));
            }
        }
    }
    // Many rows per statement: PostgreSQL inserts (and locks) a statement's rows in the order
    // given, so the sorted keys are still taken in the one global order.
    let keys: Vec<_> = keys.into_iter().collect();
    for rows in keys.chunks(ROWS_PER_STATEMENT) {
        let values = (0..rows.len())
            .map(|r| format!("({}, 1)", super::bind_order::placeholders(1 + r * 3, 3)))
            .collect::<Vec<_>>()
            .join(", ");
        let mut q = sqlx::query(safe_for!(
            DbKind::of(tx),
            "INSERT INTO cap_locks (workspace, account_id, channel, version) VALUES {values} \
             ON CONFLICT (workspace, account_id, channel) DO UPDATE SET version = cap_locks.version + 1"
        ));
        for (ws, account, channel) in rows {
            q = q
                .bind(ws.as_str())
                .bind(account.as_str())
                .bind(channel.as_str());
        }
        q.execute(&mut **tx).await?;
    }
    Ok(())
}
