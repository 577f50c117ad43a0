//! `AccessControlPolicy`: the grants a canned ACL stands for.

use crate::xml_writer::{escape_into, XmlWriter};

const ALL_USERS: &str = "http://acs.amazonaws.com/groups/global/AllUsers";
const AUTHENTICATED_USERS: &str = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";

/// The GetBucketAcl / GetObjectAcl answer for a canned ACL (`private`, `public-read`,
/// `public-read-write`, `authenticated-read`): the owner's FULL_CONTROL plus the group grants.
pub fn access_control_policy_xml(owner_id: &str, owner_name: &str, canned: &str) -> String {
    let mut w = XmlWriter::new();
    w.open_root("AccessControlPolicy");
    w.open("Owner");
    w.element("ID", owner_id);
    w.element("DisplayName", owner_name);
    w.close("Owner");
    w.open("AccessControlList");
    let mut user = String::new();
    user.push_str("<ID>");
    escape_into(&mut user, owner_id);
    user.push_str("</ID><DisplayName>");
    escape_into(&mut user, owner_name);
    user.push_str("</DisplayName>");
    grant(&mut w, "CanonicalUser", &user, "FULL_CONTROL");
    let group = |uri: &str| format!("<URI>{uri}</URI>");
    match canned {
        "public-read" => grant(&mut w, "Group", &group(ALL_USERS), "READ"),
        "public-read-write" => {
            grant(&mut w, "Group", &group(ALL_USERS), "READ");
            grant(&mut w, "Group", &group(ALL_USERS), "WRITE");
        }
        "authenticated-read" => grant(&mut w, "Group", &group(AUTHENTICATED_USERS), "READ"),
        _ => {}
    }
    w.close("AccessControlList");
    w.close("AccessControlPolicy");
    w.finish()
}

/// One `<Grant>`; `grantee_inner` is already-escaped XML.
fn grant(w: &mut XmlWriter, kind: &str, grantee_inner: &str, permission: &str) {
    w.open("Grant");
    w.raw(&format!(
        "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"{kind}\">{grantee_inner}</Grantee>"
    ));
    w.element("Permission", permission);
    w.close("Grant");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canned_grants() {
        let private = access_control_policy_xml("id1", "root", "private");
        assert!(private.contains("<Owner><ID>id1</ID><DisplayName>root</DisplayName></Owner>"));
        assert_eq!(private.matches("<Grant>").count(), 1);
        assert!(private.contains("xsi:type=\"CanonicalUser\""));
        assert!(private.contains("<Permission>FULL_CONTROL</Permission>"));
        let public = access_control_policy_xml("id1", "root", "public-read");
        assert!(public.contains(ALL_USERS));
        assert_eq!(public.matches("<Grant>").count(), 2);
        let rw = access_control_policy_xml("id1", "root", "public-read-write");
        assert!(rw.contains("<Permission>WRITE</Permission>"));
        let auth = access_control_policy_xml("id1", "root", "authenticated-read");
        assert!(auth.contains(AUTHENTICATED_USERS));
    }
}
