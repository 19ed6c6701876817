// SPDX-License-Identifier: GPL-2.0-only
/*
 * srptd_isdm: set IsDeviceManagementSupported (PortInfo CapabilityMask
 * bit 19, IBA 14.2.5.6) on every InfiniBand port while loaded.
 *
 * Why: ibsrpdm and srp_daemon ask the subnet administrator for the ports
 * that have this bit and query only those.  Linux lets only the kernel
 * change a port's capability mask (ib_modify_port()), so a userspace
 * Device Management agent such as srptd's needs this small helper to be
 * found (doc/discovery.md "The IsDM bit").  The module does nothing else:
 * it answers no MADs.
 *
 * Each port gets the bit when its device is added (at load for devices
 * present, later for hot-added ones) and loses it when the device goes or
 * the module is unloaded.  The bit is one flag per port, not a count:
 * unloading clears it even if another user (the kernel's ib_srpt) set it
 * too, which is why the two are not meant to run together.
 */
#include <linux/module.h>
#include <rdma/ib_mad.h> /* IB_PORT_DEVICE_MGMT_SUP */
#include <rdma/ib_verbs.h>

static int srptd_isdm_set(struct ib_device *dev, bool set)
{
	struct ib_port_modify pm = {};
	u32 port;

	if (set)
		pm.set_port_cap_mask = IB_PORT_DEVICE_MGMT_SUP;
	else
		pm.clr_port_cap_mask = IB_PORT_DEVICE_MGMT_SUP;
	for (port = rdma_start_port(dev); port <= rdma_end_port(dev); port++) {
		int ret;

		/* Only ports with MADs: not iWARP, not an unusable port. */
		if (!rdma_cap_ib_mad(dev, port))
			continue;
		ret = ib_modify_port(dev, port, 0, &pm);
		if (ret)
			dev_warn(&dev->dev,
				 "srptd_isdm: port %u: cannot %s IsDM: %d\n",
				 port, set ? "set" : "clear", ret);
		else
			dev_info(&dev->dev, "srptd_isdm: port %u: IsDM %s\n",
				 port, set ? "set" : "cleared");
	}
	return 0;
}

static int srptd_isdm_add(struct ib_device *dev)
{
	return srptd_isdm_set(dev, true);
}

static void srptd_isdm_remove(struct ib_device *dev, void *client_data)
{
	srptd_isdm_set(dev, false);
}

static struct ib_client srptd_isdm_client = {
	.name = "srptd_isdm",
	.add = srptd_isdm_add,
	.remove = srptd_isdm_remove,
};

static int __init srptd_isdm_init(void)
{
	return ib_register_client(&srptd_isdm_client);
}

/* Unregistering calls remove for every device still present. */
static void __exit srptd_isdm_exit(void)
{
	ib_unregister_client(&srptd_isdm_client);
}

module_init(srptd_isdm_init);
module_exit(srptd_isdm_exit);

MODULE_DESCRIPTION(
	"Set the IsDM port capability for srptd's userspace Device Management agent");
MODULE_AUTHOR("srptd");
MODULE_LICENSE("GPL");
