/**
 * The model buyer's page is not built yet in the portal (issue 17 keeps it open): models, licences, channels and
 * paid predictions are the CLI's `tributary model list|buy|predict` and `tributary channel open` for now.
 */
export function BuyerPage() {
  return (
    <section aria-labelledby="buyer-heading">
      <h2 id="buyer-heading">Model buyer</h2>
      <p className="empty">
        Not in the portal yet. Browse and buy models with <code>tributary model list</code>,{" "}
        <code>tributary model buy</code>, open a channel with <code>tributary channel open</code> and send paid requests
        with <code>tributary model predict</code>.
      </p>
    </section>
  );
}
