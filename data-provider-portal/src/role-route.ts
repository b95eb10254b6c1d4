import { useEffect, useState } from "react";

export const ROLES = [
  { id: "owner", name: "Data owner" },
  { id: "researcher", name: "Researcher" },
  { id: "buyer", name: "Model buyer" },
  { id: "auditor", name: "Auditor" },
] as const;
export type RoleId = (typeof ROLES)[number]["id"];

/** The role page named in the URL's hash (`#/auditor`), so each role has a link that can be shared and bookmarked. */
export function roleOf(hash: string): RoleId | undefined {
  const id = hash.replace(/^#\/?/, "");
  return ROLES.find((role) => role.id === id)?.id;
}

export function useRoleRoute(): RoleId | undefined {
  const [role, setRole] = useState(() => roleOf(window.location.hash));
  useEffect(() => {
    const update = () => setRole(roleOf(window.location.hash));
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return role;
}
