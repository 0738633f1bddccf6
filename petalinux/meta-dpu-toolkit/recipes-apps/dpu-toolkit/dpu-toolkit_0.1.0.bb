SUMMARY = "dpu-toolkit board runtime: the resnet50 and segment VART applications and dpu-preflight"
DESCRIPTION = "Classifies images with a compiled xmodel on the DPUCZDX8G through Xilinx's VART, and checks \
a board before a run (DPU fingerprint, xclbin, driver, Vitis AI library versions)."
# The project has not chosen a license yet; set LICENSE and LIC_FILES_CHKSUM when it does.
LICENSE = "CLOSED"

# The sources: this checkout by default (the layer sits in its petalinux/ folder). To build from a
# clone instead, set in project-spec/meta-user/conf/petalinuxbsp.conf:
#   DPU_TOOLKIT_SRC = "/path/to/dpu-toolkit"
DPU_TOOLKIT_SRC ??= "${@os.path.abspath(os.path.join(d.getVar('THISDIR'), '../../../..'))}"
inherit externalsrc cmake
EXTERNALSRC = "${DPU_TOOLKIT_SRC}"
EXTERNALSRC_BUILD = "${WORKDIR}/build"

DEPENDS = "xir vart unilog target-factory glog opencv zlib cli11 nlohmann-json"
# Real XIR/VART; only the application and the board tools are built (no quantizer, compiler, tests).
EXTRA_OECMAKE = "-DDPU_RUNTIME=vart -DDPUTK_RUNTIME_ONLY=ON -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Release"

FILES:${PN} = "${bindir}/resnet50 ${bindir}/segment ${bindir}/dpu-preflight ${datadir}/dpu-toolkit"
RDEPENDS:${PN} = "vart xir unilog target-factory glog opencv"
