//! `gridmap sample`: load the shipped Nanjing sample into an empty store
//! (what `serve` does on first start), audited as the CLI actor.

use gridmap_service::bootstrap;

use super::{actor, open, print_counts, progress_bar};

/// Load the sample into the store named by `db`; refused when it holds
/// buildings.
pub async fn run(db: &str) -> anyhow::Result<()> {
    let store = open(db).await?;
    if store.counts().await?.buildings > 0 {
        anyhow::bail!(
            "the store already holds buildings; the sample loads only into an empty store"
        );
    }
    bootstrap::bootstrap_sample(store.as_ref(), progress_bar("sample"), &actor()).await?;
    print_counts(store.as_ref()).await
}
