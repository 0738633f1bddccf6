// The quantization report (quant_report.html from test mode): self-contained, complete, and rendered
// by a real browser — headless Chromium (Debian's, installed by scripts/setup.sh) loads it without
// console errors and its screenshot is not blank.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "cli_runner.hpp"
#include "dputk/common/atomic_file.hpp"
#include "dputk/quantizer/quant_info.hpp"

namespace fs = std::filesystem;
using dputk::test::data_path;
using dputk::test::run_cli;
using dputk::test::run_command;

namespace {

TEST(QuantReport, SelfContainedCompleteAndRenderedByChromium) {
  const std::string dir = dputk::test::scratch_dir("quant_report");
  const std::string common = "--model " + data_path("cifar10/resnet20.onnx") + " --data_dir " + data_path("cifar10/test_batch.bin") +
                             " --preprocess cifar --output_dir " + dir;
  auto calib = run_cli("dpu-quantize", common + " --quant_mode calib --subset_len 64");
  ASSERT_EQ(calib.code, 0) << calib.out;
  auto test = run_cli("dpu-quantize", common + " --quant_mode test --skip 64 --subset_len 64 --compare_float --sensitivity --sensitivity_len 64");
  ASSERT_EQ(test.code, 0) << test.out;
  EXPECT_NE(test.out.find("Sensitivity (only one layer quantized, 64 images), worst first:"), std::string::npos) << test.out;
  // A layer's line splits its loss into its output fix and its parameters.
  EXPECT_TRUE(std::regex_search(test.out, std::regex("top-1 agreement  \\S+  \\(its output only [0-9.]+ dB, its parameters only [0-9.]+ dB\\)")))
      << test.out;
  // The error budget on the same images as --compare_float: "both" — the quantizer's simulation of the
  // int8 network — is what the DPU's integer arithmetic gives; each part alone differs from it.
  std::smatch dpu, budget;
  ASSERT_TRUE(std::regex_search(test.out, dpu, std::regex("Float/int8 top-1 agreement: ([0-9.]+)% \\(64 images\\), logit SQNR: ([0-9.]+) dB")))
      << test.out;
  ASSERT_TRUE(std::regex_search(test.out, budget,
                                std::regex("Error budget \\(64 images, output SQNR / top-1 agreement vs float\\): activations only ([0-9.]+) dB / "
                                           "([0-9.]+)%, parameters only ([0-9.]+) dB / ([0-9.]+)%, both ([0-9.]+) dB / ([0-9.]+)%")))
      << test.out;
  EXPECT_NEAR(std::stod(budget[5]), std::stod(dpu[2]), 0.011) << "both vs the DPU's logit SQNR";
  EXPECT_NEAR(std::stod(budget[6]), std::stod(dpu[1]), 0.011) << "both vs the DPU's top-1 agreement";
  for (int part : {1, 3}) {
    EXPECT_GT(std::stod(budget[part]), 10.0) << budget[0];
    EXPECT_GT(std::fabs(std::stod(budget[part]) - std::stod(budget[5])), 0.1) << budget[0];
  }
  // The labels by the float top-2 margin: the bins' differing labels are the ones the agreement misses.
  std::smatch line;
  ASSERT_TRUE(std::regex_search(test.out, line, std::regex("Disagreement by the float top-2 margin \\(images in the bin, of them differing\\):(.*); "
                                                           "int8 error of the margin ([0-9.]+) rms")))
      << test.out;
  double differing = 0.0, share = 0.0;
  const std::string bins = line[1];
  const std::regex bin("(<|>=) [0-9.]+: ([0-9.]+)% / ([0-9.]+)%");
  for (auto it = std::sregex_iterator(bins.begin(), bins.end(), bin); it != std::sregex_iterator(); ++it) {
    share += std::stod((*it)[2]);
    differing += std::stod((*it)[2]) * std::stod((*it)[3]) / 100.0;
  }
  EXPECT_NEAR(share, 100.0, 0.05) << line[0];
  EXPECT_NEAR(differing, 100.0 - std::stod(dpu[1]), 0.05) << line[0];
  EXPECT_GT(std::stod(line[2]), 0.0) << line[0];
  EXPECT_NE(test.out.find("[VAIQ_NOTE]: =>Quantization report: " + dir + "/quant_report.html"), std::string::npos) << test.out;
  const std::string html = dputk::read_file(dir + "/quant_report.html");
  ASSERT_FALSE(html.empty());
  // Self-contained: no script or stylesheet from elsewhere, no address but SVG's namespace.
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(std::regex_replace(html, std::regex("http://www\\.w3\\.org/2000/svg"), "").find("http://"), std::string::npos);
  // One table row per int8 activation tensor of quant_info.json, a histogram each, the sensitivity table.
  const auto info = dputk::read_quant_info(dir + "/quant_info.json");
  const std::regex row("<tr( class=\"bad\")?><td>[0-9]+</td>"), cell("<div class=\"cell\">");
  const std::ptrdiff_t rows = std::distance(std::sregex_iterator(html.begin(), html.end(), row), std::sregex_iterator());
  EXPECT_EQ(static_cast<std::size_t>(rows), info.output.size()) << "rows of the layer table";
  EXPECT_NE(html.find("<h2>Sensitivity</h2>\n<p>Where the network output's error comes from"), std::string::npos);
  EXPECT_NE(html.find("<td class=\"l\">parameters only</td>"), std::string::npos);
  EXPECT_NE(html.find("<p>The network with only one layer quantized"), std::string::npos);
  EXPECT_NE(html.find("float/int8 top-1 agreement"), std::string::npos);
  EXPECT_NE(html.find("<h2>Where the labels differ</h2>"), std::string::npos);
  EXPECT_NE(html.find("aria-label=\"disagreement by float margin\""), std::string::npos);
  EXPECT_EQ(html.find("<h2>Labels where int8 differs most</h2>"), std::string::npos) << "label maps are for score maps only";
  EXPECT_EQ(std::distance(std::sregex_iterator(html.begin(), html.end(), cell), std::sregex_iterator()), rows) << "histograms";
  // A real browser.
  const std::string png = dir + "/report.png";
  fs::remove(png);
  auto browser = run_command("timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,1600 "
                             "--enable-logging=stderr --v=0 --screenshot=" + png + " file://" + dir + "/quant_report.html");
  ASSERT_EQ(browser.code, 0) << browser.out;
  EXPECT_EQ(browser.out.find("CONSOLE"), std::string::npos) << "console messages:\n" << browser.out;
  EXPECT_EQ(browser.out.find("Uncaught"), std::string::npos) << browser.out;
  const cv::Mat shot = cv::imread(png, cv::IMREAD_GRAYSCALE);
  ASSERT_FALSE(shot.empty()) << browser.out;
  EXPECT_EQ(shot.cols, 1200);
  const double inked = static_cast<double>(cv::countNonZero(shot < 200)) / static_cast<double>(shot.total());
  EXPECT_GT(inked, 0.02) << "the screenshot is (nearly) blank";
  EXPECT_LT(inked, 0.6) << "the screenshot is (nearly) all dark";
}

// A layer's own parameters are its weights and its bias rounded, not the shift bias correction adds
// for the mean error of the layers before it (an error of its own when they are float): with and
// without bias correction, every layer the two runs both list has the same "parameters only" loss.
TEST(QuantReport, LayerParametersAloneLeaveOutBiasCorrection) {
  std::map<std::string, std::string> params[2];
  for (int bc : {0, 1}) {
    const std::string dir = dputk::test::scratch_dir(bc ? "quant_report_bc" : "quant_report_no_bc");
    dputk::write_file_atomic(dir + "/c.json", std::string("{\"target_device\": \"DPU\", \"weight_rounding\": \"nearest\", \"include_bias_corr\": ") +
                                                   (bc ? "true}" : "false}"));
    const std::string common = "--model " + data_path("cifar10/resnet20.onnx") + " --data_dir " + data_path("cifar10/test_batch.bin") +
                               " --preprocess cifar --config_file " + dir + "/c.json --output_dir " + dir;
    auto calib = run_cli("dpu-quantize", common + " --quant_mode calib --subset_len 64");
    ASSERT_EQ(calib.code, 0) << calib.out;
    ASSERT_EQ(calib.out.find("bias correction:") == std::string::npos, bc == 0) << calib.out;
    auto test = run_cli("dpu-quantize", common + " --quant_mode test --skip 64 --subset_len 16 --sensitivity --sensitivity_len 64");
    ASSERT_EQ(test.code, 0) << test.out;
    const std::regex line("top-1 agreement  (\\S+)  \\(its output only [0-9.]+ dB, its parameters only ([0-9.]+) dB\\)");
    for (auto it = std::sregex_iterator(test.out.begin(), test.out.end(), line); it != std::sregex_iterator(); ++it)
      params[bc][(*it)[1]] = (*it)[2];
  }
  int both = 0;
  for (const auto& [layer, sqnr] : params[1])
    if (params[0].count(layer)) {
      EXPECT_EQ(sqnr, params[0][layer]) << layer;
      ++both;
    }
  EXPECT_GE(both, 3);
}

}  // namespace
