import { lazy, Suspense } from "react";
import { loadPortalConfig, type PortalConfig } from "./api/portal-config.js";
import { WalletBar } from "./chain/wallet-bar.js";
import { WalletProvider } from "./chain/wallet-context.js";
import { ROLES, type RoleId, useRoleRoute } from "./role-route.js";
import { Async, Loading } from "./ui/status.js";
import { useAsync } from "./ui/use-async.js";

// Each role's page is its own chunk: the first load carries only the shell.
const PAGES: Record<RoleId, ReturnType<typeof lazy>> = {
  auditor: lazy(() => import("./roles/auditor-page.js").then((m) => ({ default: m.AuditorPage }))),
  researcher: lazy(() => import("./roles/researcher-page.js").then((m) => ({ default: m.ResearcherPage }))),
  owner: lazy(() => import("./roles/owner-page.js").then((m) => ({ default: m.OwnerPage }))),
  buyer: lazy(() => import("./roles/buyer-page.js").then((m) => ({ default: m.BuyerPage }))),
};

export function App() {
  const config = useAsync(() => loadPortalConfig(), []);
  return (
    <Async state={config} what="the portal's configuration">
      {(value: PortalConfig) => (
        <WalletProvider config={value}>
          <Shell />
        </WalletProvider>
      )}
    </Async>
  );
}

function Shell() {
  const role = useRoleRoute();
  const Page = role === undefined ? undefined : PAGES[role];
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header>
        <h1>Tributary</h1>
        <nav aria-label="Roles">
          <ul>
            {ROLES.map((one) => (
              <li key={one.id}>
                <a href={`#/${one.id}`} aria-current={one.id === role ? "page" : undefined}>
                  {one.name}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <WalletBar />
      </header>
      <main id="main" tabIndex={-1}>
        {Page === undefined ? (
          <Welcome />
        ) : (
          <Suspense fallback={<Loading what="the page" />}>
            <Page />
          </Suspense>
        )}
      </main>
    </>
  );
}

function Welcome() {
  return (
    <section aria-labelledby="welcome-heading" data-ready="welcome">
      <h2 id="welcome-heading">Who are you today?</h2>
      <ul className="roles">
        <li>
          <a href="#/owner">Data owner</a>: enrol a dataset from your files, see the privacy budget it spent, what it
          earned from jobs and model sales, and claim it.
        </li>
        <li>
          <a href="#/researcher">Researcher</a>: create a job on the datasets you choose, watch it train live, round by
          round, with its anchors on chain; cancel it, reclaim its escrow, register its model.
        </li>
        <li>
          <a href="#/buyer">Model buyer</a>: models for sale, licences and paid predictions.
        </li>
        <li>
          <a href="#/auditor">Auditor</a>: check any job's ledger against the chain, in this browser.
        </li>
      </ul>
    </section>
  );
}
