# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TextFSM template for ``display bgp peer ipv4`` that also accepts dynamically created peers.

The driver uses ntc-templates' ``hp_comware_display_bgp_peer_ipv4`` first; that template stops
with an error on a row marked ``*`` (a peer created from a listen range), so this one, with the
same value names, is the fallback.
"""

# one row of the peer table (split only to keep the source lines short)
_ROW = (r"  ^\s*${DYNAMIC}?\s*${PEER}\s+${REMOTE_ASN}\s+${MESSAGES_RECEIVED}\s+${MESSAGES_SENT}"
        r"\s+${OUTPUT_QUEUE}\s+${PREFIXES_RECEIVED}\s+${UP_DOWN}\s+${STATE}\s*$$ -> Record")

TEMPLATE = r"""Value Filldown LOCAL_ROUTER_ID (\d{1,3}(?:\.\d{1,3}){3})
Value Filldown LOCAL_AS_NUMBER (\d+)
Value DYNAMIC (\*)
Value Required,Key PEER (\d{1,3}(?:\.\d{1,3}){3})
Value Required REMOTE_ASN (\d+)
Value MESSAGES_RECEIVED (\d+)
Value MESSAGES_SENT (\d+)
Value OUTPUT_QUEUE (\d+)
Value PREFIXES_RECEIVED (\d+)
Value UP_DOWN (\S+)
Value STATE (\S+)

Start
  ^\s*BGP\s+local\s+router\s+ID\s*:\s+${LOCAL_ROUTER_ID}
  ^\s*Local\s+AS\s+number\s*:\s+${LOCAL_AS_NUMBER}
  ^\s*Total\s+number\s+of\s+peers
  ^\s*\*\s+-\s+Dynamically\s+created\s+peer
  ^\s*Peer\s+AS\s+MsgRcvd
""" + _ROW + r"""
  ^\s*$$
  ^. -> Error "unexpected line in display bgp peer ipv4 output"
"""
