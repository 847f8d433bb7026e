//! The SQL of [`crate::PrivacyStore`], shared by both backends like [`crate::sql`]. Only
//! [`crate::PrivacyStore::find_text`] differs: each database lists its tables and columns
//! from its own catalogue (passed to the macro).

/// Generates `impl PrivacyStore` for a backend. `$columns` lists `(table, column)` of every
/// table; `$contains` is the condition "column `{c}` contains `$1`", case-insensitively, with
/// `{c}` replaced by the quoted column name.
macro_rules! privacy_store {
    ($store:ident, $db:ty, $columns:expr, $contains:expr) => {
        impl $store {
            /// Anonymises the volunteers of `campaign` (all, or one), closes the accounts of
            /// those among them (or, for a whole-campaign purge, of every member) who belong
            /// to this campaign only, unlinks their field work and redacts the audit lines
            /// that name them. The caller commits or rolls back.
            async fn scrub(
                tx: &mut sqlx::Transaction<'static, $db>,
                campaign: uuid::Uuid,
                only: Option<uuid::Uuid>,
            ) -> $crate::error::Result<$crate::privacy::PurgeCounts> {
                use $crate::privacy::ERASED_NAME;
                let mut n = $crate::privacy::PurgeCounts::default();
                let whole = only.is_none();
                // Who: the volunteers, their strings, their accounts.
                let mut qb = sqlx::QueryBuilder::<$db>::new(
                    "SELECT id, user_id, display_name, email, phone FROM volunteers WHERE campaign_id = ");
                qb.push_bind(campaign);
                if let Some(v) = only {
                    qb.push(" AND id = ");
                    qb.push_bind(v);
                }
                let vols: Vec<(uuid::Uuid, Option<uuid::Uuid>, String, Option<String>, Option<String>)> =
                    qb.build_query_as().fetch_all(&mut **tx).await?;
                let mut strings: Vec<String> = Vec::new();
                let mut people: Vec<uuid::Uuid> = Vec::new();
                for (_, user, name, email, phone) in &vols {
                    strings.push(name.clone());
                    strings.extend(email.iter().cloned());
                    strings.extend(phone.iter().cloned());
                    people.extend(user.iter().copied());
                }
                if whole {
                    let members: Vec<(uuid::Uuid,)> = sqlx::query_as(
                        "SELECT user_id FROM memberships WHERE campaign_id = $1")
                        .bind(campaign).fetch_all(&mut **tx).await?;
                    people.extend(members.into_iter().map(|(u,)| u));
                    let rc: Vec<(String, Option<String>, Option<String>)> = sqlx::query_as(
                        "SELECT name, phone, email FROM recontacts WHERE campaign_id = $1")
                        .bind(campaign).fetch_all(&mut **tx).await?;
                    for (name, phone, email) in rc {
                        strings.push(name);
                        strings.extend(phone);
                        strings.extend(email);
                    }
                }
                people.sort();
                people.dedup();
                // Accounts of people found only in this campaign, administrators excepted.
                let mut closing: Vec<uuid::Uuid> = Vec::new();
                for u in &people {
                    let row: Option<(Option<String>, String, bool)> = sqlx::query_as(
                        "SELECT email, display_name, is_admin FROM users u WHERE id = $1 \
                         AND NOT EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = u.id AND m.campaign_id <> $2) \
                         AND NOT EXISTS (SELECT 1 FROM volunteers v WHERE v.user_id = u.id AND v.campaign_id <> $2)")
                        .bind(*u).bind(campaign).fetch_optional(&mut **tx).await?;
                    if let Some((email, name, admin)) = row
                        && !admin
                    {
                        strings.extend(email);
                        strings.push(name);
                        closing.push(*u);
                    }
                }
                let needles = $crate::privacy::needles(strings.iter().map(String::as_str));

                // Volunteers: anonymised in place.
                let mut qb = sqlx::QueryBuilder::<$db>::new("UPDATE volunteers SET display_name = ");
                qb.push_bind(ERASED_NAME);
                qb.push(", email = NULL, email_key = NULL, phone = NULL, phone_key = NULL, postcode = NULL, \
                         availability = 0, consent_at = NULL, user_id = NULL, duplicate_of = NULL WHERE campaign_id = ");
                qb.push_bind(campaign);
                if let Some(v) = only {
                    qb.push(" AND id = ");
                    qb.push_bind(v);
                } else {
                    // A second run finds nothing more to do.
                    qb.push(" AND (display_name <> ");
                    qb.push_bind(ERASED_NAME);
                    qb.push(" OR email IS NOT NULL OR phone IS NOT NULL OR postcode IS NOT NULL OR user_id IS NOT NULL OR availability <> 0)");
                }
                n.volunteers = qb.build().execute(&mut **tx).await?.rows_affected();
                if let Some(v) = only {
                    // Others marked as its possible duplicates point at nobody now.
                    n.links += sqlx::query("UPDATE volunteers SET duplicate_of = NULL WHERE campaign_id = $1 AND duplicate_of = $2")
                        .bind(campaign).bind(v).execute(&mut **tx).await?.rows_affected();
                }

                // Links handed to people.
                if let Some(v) = only {
                    n.links += sqlx::query("DELETE FROM volunteer_invites WHERE campaign_id = $1 AND volunteer_id = $2")
                        .bind(campaign).bind(v).execute(&mut **tx).await?.rows_affected();
                    n.links += sqlx::query("DELETE FROM calendar_feeds WHERE campaign_id = $1 AND volunteer_id = $2")
                        .bind(campaign).bind(v).execute(&mut **tx).await?.rows_affected();
                } else {
                    n.links += sqlx::query("DELETE FROM volunteer_invites WHERE campaign_id = $1")
                        .bind(campaign).execute(&mut **tx).await?.rows_affected();
                    n.links += sqlx::query("DELETE FROM invites WHERE campaign_id = $1")
                        .bind(campaign).execute(&mut **tx).await?.rows_affected();
                    n.links += sqlx::query("DELETE FROM calendar_feeds WHERE campaign_id = $1")
                        .bind(campaign).execute(&mut **tx).await?.rows_affected();
                    n.recontacts = sqlx::query("DELETE FROM recontacts WHERE campaign_id = $1")
                        .bind(campaign).execute(&mut **tx).await?.rows_affected();
                    n.notes += sqlx::query("UPDATE sorties SET notes = NULL WHERE campaign_id = $1 AND notes IS NOT NULL")
                        .bind(campaign).execute(&mut **tx).await?.rows_affected();
                    n.notes += sqlx::query("UPDATE turfs SET team = NULL WHERE campaign_id = $1 AND team IS NOT NULL")
                        .bind(campaign).execute(&mut **tx).await?.rows_affected();
                }

                // Free text naming the erased person (a whole-campaign purge clears it all above).
                if !whole && !needles.is_empty() {
                    let notes: Vec<(uuid::Uuid, String)> = sqlx::query_as(
                        "SELECT id, notes FROM sorties WHERE campaign_id = $1 AND notes IS NOT NULL")
                        .bind(campaign).fetch_all(&mut **tx).await?;
                    for (id, text) in notes {
                        if $crate::privacy::mentions(&text, &needles) {
                            n.notes += sqlx::query("UPDATE sorties SET notes = NULL WHERE campaign_id = $1 AND id = $2")
                                .bind(campaign).bind(id).execute(&mut **tx).await?.rows_affected();
                        }
                    }
                    let teams: Vec<(uuid::Uuid, String)> = sqlx::query_as(
                        "SELECT id, team FROM turfs WHERE campaign_id = $1 AND team IS NOT NULL")
                        .bind(campaign).fetch_all(&mut **tx).await?;
                    for (id, text) in teams {
                        if $crate::privacy::mentions(&text, &needles) {
                            n.notes += sqlx::query("UPDATE turfs SET team = NULL WHERE campaign_id = $1 AND id = $2")
                                .bind(campaign).bind(id).execute(&mut **tx).await?.rows_affected();
                        }
                    }
                }

                // Field work: each walker becomes a random id, positions and phones go. For
                // one volunteer, only their own records (when they have an account).
                let walkers: Vec<uuid::Uuid> = if whole {
                    let rows: Vec<(uuid::Uuid,)> = sqlx::query_as(
                        "SELECT DISTINCT user_id FROM field_receipts WHERE campaign_id = $1 \
                         UNION SELECT DISTINCT user_id FROM visits WHERE campaign_id = $1 \
                         UNION SELECT DISTINCT user_id FROM door_counts WHERE campaign_id = $1")
                        .bind(campaign).fetch_all(&mut **tx).await?;
                    // Ids already replaced (version 4, random) are left as they are.
                    rows.into_iter().map(|(u,)| u).filter(|u| u.get_version_num() != 4).collect()
                } else {
                    vols.iter().filter_map(|v| v.1).collect()
                };
                for w in walkers {
                    let alias = uuid::Uuid::new_v4();
                    n.field_records += sqlx::query("UPDATE visits SET user_id = $3, lon = NULL, lat = NULL WHERE campaign_id = $1 AND user_id = $2")
                        .bind(campaign).bind(w).bind(alias).execute(&mut **tx).await?.rows_affected();
                    n.field_records += sqlx::query("UPDATE door_counts SET user_id = $3 WHERE campaign_id = $1 AND user_id = $2")
                        .bind(campaign).bind(w).bind(alias).execute(&mut **tx).await?.rows_affected();
                    n.field_records += sqlx::query("UPDATE field_receipts SET user_id = $3, device_id = $3 WHERE campaign_id = $1 AND user_id = $2")
                        .bind(campaign).bind(w).bind(alias).execute(&mut **tx).await?.rows_affected();
                    n.devices += sqlx::query("DELETE FROM field_devices WHERE campaign_id = $1 AND user_id = $2")
                        .bind(campaign).bind(w).execute(&mut **tx).await?.rows_affected();
                }
                if whole {
                    n.field_records += sqlx::query("UPDATE visits SET lon = NULL, lat = NULL WHERE campaign_id = $1 AND (lon IS NOT NULL OR lat IS NOT NULL)")
                        .bind(campaign).execute(&mut **tx).await?.rows_affected();
                    n.devices += sqlx::query("DELETE FROM field_devices WHERE campaign_id = $1")
                        .bind(campaign).execute(&mut **tx).await?.rows_affected();
                }

                // Accounts closed.
                for u in &closing {
                    n.accounts += sqlx::query(
                        "UPDATE users SET email = NULL, display_name = $2, password_hash = NULL, disabled = $3 WHERE id = $1 \
                         AND (email IS NOT NULL OR display_name <> $2 OR password_hash IS NOT NULL OR disabled = $4)")
                        .bind(*u).bind($crate::privacy::CLOSED_ACCOUNT).bind(true).bind(false)
                        .execute(&mut **tx).await?.rows_affected();
                    n.credentials += sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                        .bind(*u).execute(&mut **tx).await?.rows_affected();
                    n.credentials += sqlx::query("DELETE FROM api_tokens WHERE user_id = $1")
                        .bind(*u).execute(&mut **tx).await?.rows_affected();
                }

                // Audit lines: the campaign's, and the server-wide ones about a closed account.
                if !needles.is_empty() {
                    let mut lines: Vec<(uuid::Uuid, sqlx::types::Json<serde_json::Value>)> = sqlx::query_as(
                        "SELECT id, detail FROM audit_log WHERE campaign_id = $1")
                        .bind(campaign).fetch_all(&mut **tx).await?;
                    for u in &closing {
                        let more: Vec<(uuid::Uuid, sqlx::types::Json<serde_json::Value>)> = sqlx::query_as(
                            "SELECT id, detail FROM audit_log WHERE campaign_id IS NULL AND (target = $1 OR actor_id = $2)")
                            .bind(u.to_string()).bind(*u).fetch_all(&mut **tx).await?;
                        lines.extend(more);
                    }
                    for (id, mut detail) in lines {
                        if $crate::privacy::redact(&mut detail.0, &needles) {
                            sqlx::query("UPDATE audit_log SET detail = $2 WHERE id = $1")
                                .bind(id).bind(detail).execute(&mut **tx).await?;
                            n.audit_lines += 1;
                        }
                    }
                }
                Ok(n)
            }
        }

        #[async_trait::async_trait]
        impl $crate::privacy::PrivacyStore for $store {
            async fn set_retention(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                until: Option<time::Date>) -> $crate::error::Result<()> {
                let mut tx = self.begin_write().await?;
                let n = sqlx::query("UPDATE campaigns SET retention_until = $2 WHERE id = $1")
                    .bind(campaign.0).bind(until).execute(&mut *tx).await?.rows_affected();
                if n == 0 {
                    return Err($crate::error::StorageError::NotFound { what: "campaign", key: campaign.to_string() });
                }
                Self::write_audit(&mut tx, audit, Some(campaign.0), "campaign.retention", campaign.to_string(),
                    serde_json::json!({"retention_until": until.map(|d| d.to_string())})).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn purge_campaign(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                reason: $crate::privacy::PurgeReason, dry_run: bool) -> $crate::error::Result<$crate::privacy::PurgeCounts> {
                $crate::Store::campaign(self, campaign).await?;
                let mut tx = self.begin_write().await?;
                let counts = Self::scrub(&mut tx, campaign.0, None).await?;
                if dry_run {
                    tx.rollback().await?;
                    return Ok(counts);
                }
                let detail = serde_json::to_value(&counts).map_err(|e| $crate::error::StorageError::Invalid {
                    what: "purge", reason: e.to_string() })?;
                sqlx::query("INSERT INTO privacy_purges (campaign_id, id, at, reason, counts) VALUES ($1, $2, $3, $4, $5)")
                    .bind(campaign.0).bind(uuid::Uuid::now_v7()).bind($crate::sql_volunteers::db_now())
                    .bind(reason.as_str()).bind(sqlx::types::Json(detail.clone()))
                    .execute(&mut *tx).await?;
                Self::write_audit(&mut tx, audit, Some(campaign.0), "privacy.purge", campaign.to_string(),
                    serde_json::json!({"reason": reason, "counts": detail})).await?;
                tx.commit().await?;
                Ok(counts)
            }

            async fn purges(&self, campaign: terrain_model::CampaignId) -> $crate::error::Result<Vec<$crate::privacy::PurgeRecord>> {
                let rows: Vec<(uuid::Uuid, time::OffsetDateTime, String, sqlx::types::Json<serde_json::Value>)> = sqlx::query_as(
                    "SELECT id, at, reason, counts FROM privacy_purges WHERE campaign_id = $1 ORDER BY id DESC")
                    .bind(campaign.0).fetch_all(&self.pool).await?;
                rows.into_iter().map(|(id, at, reason, counts)| {
                    let reason = match reason.as_str() {
                        "retention" => $crate::privacy::PurgeReason::Retention,
                        _ => $crate::privacy::PurgeReason::Manual,
                    };
                    let c = |k: &str| counts.0.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
                    Ok($crate::privacy::PurgeRecord { id, at, reason, counts: $crate::privacy::PurgeCounts {
                        volunteers: c("volunteers"), accounts: c("accounts"), credentials: c("credentials"),
                        recontacts: c("recontacts"), links: c("links"), field_records: c("field_records"),
                        devices: c("devices"), notes: c("notes"), audit_lines: c("audit_lines"),
                    }})
                }).collect()
            }

            async fn do_not_contact(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                id: terrain_model::VolunteerId) -> $crate::error::Result<()> {
                let mut tx = self.begin_write().await?;
                let n = sqlx::query("UPDATE volunteers SET consent_contact = $3 WHERE campaign_id = $1 AND id = $2")
                    .bind(campaign.0).bind(id.0).bind(false).execute(&mut *tx).await?.rows_affected();
                if n == 0 {
                    return Err($crate::error::StorageError::NotFound { what: "volunteer", key: id.to_string() });
                }
                Self::write_audit(&mut tx, audit, Some(campaign.0), "privacy.do_not_contact", id.to_string(),
                    serde_json::json!({})).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn export_volunteer(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                id: terrain_model::VolunteerId) -> $crate::error::Result<$crate::privacy::SubjectExport> {
                use $crate::volunteers::VolunteerStore;
                let v = self.volunteer(campaign, id).await?;
                let mut out = $crate::privacy::SubjectExport::new();
                out.insert("kind".into(), serde_json::json!("volunteer"));
                out.insert("volunteer".into(), $crate::privacy::to_json(&v));
                out.insert("availability".into(), serde_json::json!(v.availability.slots()));
                if let Some(u) = v.user_id {
                    let row: Option<(Option<String>, String, time::OffsetDateTime)> = sqlx::query_as(
                        "SELECT email, display_name, created_at FROM users WHERE id = $1")
                        .bind(u.0).fetch_optional(&self.pool).await?;
                    let roles: Vec<(String, time::OffsetDateTime)> = sqlx::query_as(
                        "SELECT role, created_at FROM memberships WHERE campaign_id = $1 AND user_id = $2")
                        .bind(campaign.0).bind(u.0).fetch_all(&self.pool).await?;
                    out.insert("account".into(), serde_json::json!(row.map(|(email, name, created)| serde_json::json!({
                        "id": u, "email": email, "display_name": name, "created_at": $crate::privacy::rfc3339(created),
                        "roles": roles.iter().map(|(r, at)| serde_json::json!({"role": r, "since": $crate::privacy::rfc3339(*at)})).collect::<Vec<_>>(),
                    }))));
                }
                let trainings = self.registrations_of(campaign, id).await?;
                out.insert("trainings".into(), serde_json::json!(trainings.iter().map(|(t, r)| serde_json::json!({
                    "training": t.title, "starts_at": $crate::privacy::rfc3339(t.starts_at), "registration": $crate::privacy::to_json(r)})).collect::<Vec<_>>()));
                let teams: Vec<(String, time::OffsetDateTime)> = sqlx::query_as(
                    "SELECT t.name, m.added_at FROM team_members m JOIN teams t ON t.campaign_id = m.campaign_id AND t.id = m.team_id \
                     WHERE m.campaign_id = $1 AND m.volunteer_id = $2 ORDER BY m.added_at")
                    .bind(campaign.0).bind(id.0).fetch_all(&self.pool).await?;
                out.insert("teams".into(), serde_json::json!(teams.iter().map(|(n, at)| serde_json::json!({"team": n, "added_at": $crate::privacy::rfc3339(*at)})).collect::<Vec<_>>()));
                let sorties: Vec<(String, time::OffsetDateTime, String, Option<bool>)> = sqlx::query_as(
                    "SELECT s.title, s.starts_at, p.status, p.attended FROM sortie_participants p \
                     JOIN sorties s ON s.campaign_id = p.campaign_id AND s.id = p.sortie_id \
                     WHERE p.campaign_id = $1 AND p.volunteer_id = $2 ORDER BY s.starts_at")
                    .bind(campaign.0).bind(id.0).fetch_all(&self.pool).await?;
                out.insert("sorties".into(), serde_json::json!(sorties.iter().map(|(t, at, st, att)| serde_json::json!({
                    "sortie": t, "starts_at": $crate::privacy::rfc3339(*at), "status": st, "attended": att})).collect::<Vec<_>>()));
                let mut targets = vec![id.to_string()];
                if let Some(u) = v.user_id {
                    targets.push(u.to_string());
                }
                let mut lines = Vec::new();
                for t in &targets {
                    let rows: Vec<(time::OffsetDateTime, String, String, sqlx::types::Json<serde_json::Value>)> = sqlx::query_as(
                        "SELECT at, action, source, detail FROM audit_log WHERE (campaign_id = $1 OR campaign_id IS NULL) AND target = $2 ORDER BY id")
                        .bind(campaign.0).bind(t).fetch_all(&self.pool).await?;
                    lines.extend(rows.into_iter().map(|(at, action, source, detail)| serde_json::json!({
                        "at": $crate::privacy::rfc3339(at), "action": action, "source": source, "detail": detail.0})));
                }
                out.insert("audit".into(), serde_json::json!(lines));
                let mut tx = self.begin_write().await?;
                Self::write_audit(&mut tx, audit, Some(campaign.0), "privacy.export", id.to_string(),
                    serde_json::json!({"kind": "volunteer"})).await?;
                tx.commit().await?;
                Ok(out)
            }

            async fn erase_volunteer(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                id: terrain_model::VolunteerId) -> $crate::error::Result<$crate::privacy::PurgeCounts> {
                $crate::volunteers::VolunteerStore::volunteer(self, campaign, id).await?;
                let mut tx = self.begin_write().await?;
                let counts = Self::scrub(&mut tx, campaign.0, Some(id.0)).await?;
                Self::write_audit(&mut tx, audit, Some(campaign.0), "privacy.erase", id.to_string(),
                    serde_json::json!({"kind": "volunteer", "counts": counts})).await?;
                tx.commit().await?;
                Ok(counts)
            }

            async fn export_respondent(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                response: uuid::Uuid) -> $crate::error::Result<$crate::privacy::SubjectExport> {
                let contact: Option<(String, Option<String>, Option<String>, String, time::OffsetDateTime)> = sqlx::query_as(
                    "SELECT name, phone, email, statement, consented_at FROM recontacts WHERE campaign_id = $1 AND response_id = $2")
                    .bind(campaign.0).bind(response).fetch_optional(&self.pool).await?;
                let Some((name, phone, email, statement, consented_at)) = contact else {
                    return Err($crate::error::StorageError::NotFound { what: "respondent", key: response.to_string() });
                };
                let r: (uuid::Uuid, time::Date, Option<String>, Option<String>, Option<String>, Option<String>, sqlx::types::Json<serde_json::Value>) =
                    sqlx::query_as(
                        "SELECT version_id, collected_on, sex, age_band, occupation, postcode, answers FROM responses WHERE campaign_id = $1 AND id = $2")
                    .bind(campaign.0).bind(response).fetch_one(&self.pool).await?;
                let mut out = $crate::privacy::SubjectExport::new();
                out.insert("kind".into(), serde_json::json!("respondent"));
                out.insert("contact".into(), serde_json::json!({"name": name, "phone": phone, "email": email}));
                out.insert("consent".into(), serde_json::json!({"statement": statement, "at": $crate::privacy::rfc3339(consented_at)}));
                out.insert("response".into(), serde_json::json!({
                    "id": response, "questionnaire_version": r.0, "collected_on": r.1.to_string(),
                    "sex": r.2, "age_band": r.3, "occupation": r.4, "postcode": r.5, "answers": r.6.0}));
                let mut tx = self.begin_write().await?;
                Self::write_audit(&mut tx, audit, Some(campaign.0), "privacy.export", response.to_string(),
                    serde_json::json!({"kind": "respondent"})).await?;
                tx.commit().await?;
                Ok(out)
            }

            async fn erase_respondent(&self, audit: &$crate::types::Audit, campaign: terrain_model::CampaignId,
                response: uuid::Uuid) -> $crate::error::Result<()> {
                let mut tx = self.begin_write().await?;
                let gone = sqlx::query("DELETE FROM recontacts WHERE campaign_id = $1 AND response_id = $2")
                    .bind(campaign.0).bind(response).execute(&mut *tx).await?.rows_affected();
                if gone == 0 {
                    return Err($crate::error::StorageError::NotFound { what: "respondent", key: response.to_string() });
                }
                sqlx::query("DELETE FROM responses WHERE campaign_id = $1 AND id = $2")
                    .bind(campaign.0).bind(response).execute(&mut *tx).await?;
                Self::write_audit(&mut tx, audit, Some(campaign.0), "privacy.erase", response.to_string(),
                    serde_json::json!({"kind": "respondent"})).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn find_text(&self, needles: &[String]) -> $crate::error::Result<Vec<$crate::privacy::TextHit>> {
                let columns: Vec<(String, String)> = sqlx::query_as($columns).fetch_all(&self.pool).await?;
                let mut hits = Vec::new();
                for (table, column) in &columns {
                    let quoted = format!("\"{}\"", column.replace('"', "\"\""));
                    let sql = format!("SELECT COUNT(*) FROM \"{}\" WHERE {}", table.replace('"', "\"\""),
                        $contains.replace("{c}", &quoted));
                    for needle in needles {
                        let (rows,): (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone())).bind(needle.to_lowercase()).fetch_one(&self.pool).await?;
                        if rows > 0 {
                            hits.push($crate::privacy::TextHit { table: table.clone(), column: column.clone(),
                                needle: needle.clone(), rows: u64::try_from(rows).unwrap_or(0) });
                        }
                    }
                }
                hits.sort();
                Ok(hits)
            }
        }
    };
}

pub(crate) use privacy_store;
