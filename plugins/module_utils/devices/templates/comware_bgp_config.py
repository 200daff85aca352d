# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TextFSM template for ``display current-configuration configuration bgp`` (H3C Comware V7).

ntc-templates has no template for it.  One record per BGP configuration line of the default
instance: the indentation (one space: BGP view, two: an address-family view), the keyword
(``router-id``, ``group``, ``peer``, ``address-family``, ``ip vpn-instance``), the target (peer
address, group name or family), an optional mask length (a dynamic-peer range), the attribute and
the rest of the line.  The first record is the ``bgp ASN`` line itself so that an empty BGP view still
yields its AS number.  The driver (devices/comware.py) builds the model from these records.
"""

TEMPLATE = r"""Value Filldown ASN (\d+(?:\.\d+)?)
Value INDENT (\s+)
Value KEYWORD (router-id|group|peer|address-family|ip\s+vpn-instance)
Value TARGET (\S+)
Value MASK (\d{1,3})
Value ATTR (\S+)
Value VALUE (\S.*?)

Start
  ^bgp\s+${ASN}\s*$$ -> Record BGP
  ^bgp\s+\S+\s+instance\s+\S+ -> OtherInstance
  ^.*$$

BGP
  ^#\s*$$ -> Start
  ^return\s*$$ -> Start
  ^\s+#
  ^${INDENT}${KEYWORD}\s+${TARGET}\s+${MASK}\s+${ATTR}(?:\s+${VALUE})?\s*$$ -> Record
  ^${INDENT}${KEYWORD}\s+${TARGET}\s+${ATTR}(?:\s+${VALUE})?\s*$$ -> Record
  ^${INDENT}${KEYWORD}\s+${TARGET}\s*$$ -> Record
  ^\s+\S.*$$
  ^\S+ -> Start

OtherInstance
  ^#\s*$$ -> Start
  ^.*$$

EOF
"""
