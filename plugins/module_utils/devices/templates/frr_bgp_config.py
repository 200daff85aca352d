# -*- coding: utf-8 -*-
# Copyright: kubefabric.bgp contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TextFSM template for FRR's ``show running-config bgpd`` (also reads a whole ``show running-config``).

One record per line of the default-VRF ``router bgp ASN`` block: indentation (one space: router
view, two: an address family), the keyword (``neighbor``, ``no neighbor``, ``bgp router-id``,
``bgp listen range``, ``[no] bgp default``, ``address-family``), the target (neighbor address or
peer-group name, prefix, family), the attribute and the rest of the line.  The first record is the
``router bgp`` line itself so that an empty BGP instance still yields its AS number.
"""

TEMPLATE = r"""Value Filldown ASN (\d+(?:\.\d+)?)
Value INDENT (\s+)
Value KEYWORD (neighbor|no\s+neighbor|bgp\s+router-id|bgp\s+listen\s+range|bgp\s+default|no\s+bgp\s+default|address-family)
Value TARGET (\S+)
Value ATTR (\S+)
Value VALUE (\S.*?)

Start
  ^router\s+bgp\s+${ASN}\s*$$ -> Record BGP
  ^router\s+bgp\s+\S+\s+vrf\s+\S+ -> OtherVrf
  ^.*$$

BGP
  ^exit\s*$$ -> Start
  ^!\s*$$ -> Start
  ^\s+!
  ^\s+exit-address-family
  ^${INDENT}${KEYWORD}\s+${TARGET}\s+${ATTR}(?:\s+${VALUE})?\s*$$ -> Record
  ^${INDENT}${KEYWORD}\s+${TARGET}\s*$$ -> Record
  ^\s+\S.*$$
  ^\S+ -> Start

OtherVrf
  ^exit\s*$$ -> Start
  ^!\s*$$ -> Start
  ^.*$$

EOF
"""
